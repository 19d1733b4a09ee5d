"""Internal: whether a user exists in a tenant, before another service hands them something.

``GET /api/am/keymanager/v1/internal/users/{username}?tenant=acme.com`` answers the active user
``{username, tenant, roles}`` (``username`` as the user signs in and as their tokens name them:
``bob`` in the super tenant, ``bob@acme.com`` in a tenant), or 404 when the name is not an active
user of that tenant: a name of another tenant (``bob@other.com``) is not found either.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from apim_common.errors import NotFound
from apim_common.security import InternalPrincipal
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import login_of, resolve_login

router = APIRouter(prefix="/api/am/keymanager/v1/internal/users", tags=["Internal: users"])


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
