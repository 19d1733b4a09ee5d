"""Internal: whether a user exists in a tenant, before another service hands them something; a
user's change of their own password (the Developer Portal's ``/me/change-password``); whether a
role exists in a tenant (the Publisher's and Admin's ``HEAD /roles/{roleId}``).

``GET /api/am/keymanager/v1/internal/users/{username}?tenant=acme.com`` answers the active user
``{username, tenant, roles}`` (``username`` as the user signs in and as their tokens name them:
``bob`` in the super tenant, ``bob@acme.com`` in a tenant), or 404 when the name is not an active
user of that tenant: a name of another tenant (``bob@other.com``) is not found either.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from apim_common.errors import BadRequest, NotFound
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import InternalPrincipal
from apim_common.system_scopes import RESIDENT_ROLES
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.users.repository import GroupRepository, UserRepository
from apim_key_manager.users.service import login_of, resolve_login

router = APIRouter(prefix="/api/am/keymanager/v1/internal/users", tags=["Internal: users"])
roles_router = APIRouter(prefix="/api/am/keymanager/v1/internal/roles", tags=["Internal: users"])
Tenant = Annotated[str, Query(min_length=1, max_length=255)]


class UserInTenant(BaseModel):
    username: str
    tenant: str
    roles: list[str]


@router.get("/{username}", summary="An active user of a tenant")
async def user_in_tenant(
    username: str,
    tenant: Annotated[str, Query(min_length=1, max_length=255)],
    session: SessionDep,
    km: KeyManagerDep,
    _: InternalPrincipal,
) -> UserInTenant:
    name, domain = await resolve_login(session, username, tenant)
    user = await UserRepository(session).by_name(domain, name) if domain == tenant else None
    if user is None or not user.active:
        raise NotFound(f"User {username} does not exist in tenant {tenant}", message="User Not Found")
    return UserInTenant(
        username=login_of(user), tenant=user.tenant, roles=await km.users.roles(session, user)
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currentPassword: str = Field(min_length=1, max_length=1024)
    newPassword: str = Field(min_length=1, max_length=1024)


@router.post("/{username}/change-password", summary="A user changes their own password")
async def change_password(
    username: str,
    tenant: Tenant,
    body: PasswordChange,
    session: SessionDep,
    km: KeyManagerDep,
    _: InternalPrincipal,
) -> Response:
    """The current password is checked as a sign-in is (failures count towards the lock); the new one
    must match the password policy; every token the user holds, refresh tokens too, is revoked."""
    name, domain = await resolve_login(session, username, tenant)
    login = name if domain == DEFAULT_TENANT else f"{name}@{domain}"
    user = await km.users.authenticate(session, login, body.currentPassword) if domain == tenant else None
    if user is None:
        raise BadRequest("The current password is incorrect", message="Invalid Credentials")
    if not re.fullmatch(km.settings.password_policy_pattern, body.newPassword):
        raise BadRequest(
            f"The new password does not match the password policy {km.settings.password_policy_pattern}",
            message="Password Policy Violation",
        )
    await km.users.set_password(session, user, body.newPassword)
    await km.users.revoke_tokens(session, user)
    return Response(status_code=200)


@roles_router.get("/{role:path}", summary="Whether a role exists in a tenant")
async def role_exists(role: str, tenant: Tenant, session: SessionDep, _: InternalPrincipal) -> Response:
    """A resident role, a group's name, or a role some user of the tenant holds."""
    if role in RESIDENT_ROLES or await GroupRepository(session).by_name(tenant, role) is not None:
        return Response(status_code=200)
    if await UserRepository(session).role_held(tenant, role):
        return Response(status_code=200)
    raise NotFound(f"Role {role} does not exist in tenant {tenant}", message="Role Not Found")
