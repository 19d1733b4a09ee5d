"""Internal: gateways check Basic credentials of API calls here (WSO2's ``basic_auth`` security scheme).

``POST /api/am/keymanager/v1/internal/basic-auth`` ``{username, password, tenant?, clientAddress?}`` answers
``{valid, username, tenant, subject, roles, scopes}``: the user's roles (with the tenant's role
aliases applied) and the scopes of the tenant's role -> scope map those roles allow. ``tenant`` is
the tenant of the API being called: a name without a tenant domain is looked up there.

Wrong credentials answer ``{"valid": false}`` after the same argon2 work as right ones (an unknown
or inactive user is checked against a dummy hash), so the answer time does not tell whether a user
exists. Failures count against the name as every other password check does (``users/lockout.py``,
shared by the replicas): a locked name answers 429 with ``Retry-After`` without its password being
checked. The gateway calls from its own address and sends its caller's as ``clientAddress``,
which is counted as every other password check counts the address it sees.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, IPvAnyAddress

from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import INTERNAL_SCOPE, InternalPrincipal
from apim_key_manager.context import KeyManagerDep
from apim_key_manager.db import SessionDep
from apim_key_manager.tenants.repository import TenantRepository
from apim_key_manager.users.lockout import SignInLocked
from apim_key_manager.users.repository import UserRepository
from apim_key_manager.users.service import resolve_login

router = APIRouter(prefix="/api/am/keymanager/v1/internal/basic-auth", tags=["Internal: basic auth"])


class BasicAuthRequest(BaseModel):
    username: str = Field(min_length=1, max_length=512)
    password: str = Field(max_length=4096)
    tenant: str = DEFAULT_TENANT
    # The address the gateway's caller came from (an IP address), counted like the user name.
    clientAddress: IPvAnyAddress | None = None


class BasicAuthResult(BaseModel):
    valid: bool
    username: str | None = None
    tenant: str | None = None
    subject: str | None = None
    roles: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)


@router.post("", summary="Check a user's Basic credentials for a gateway", response_model=BasicAuthResult)
async def check(
    body: BasicAuthRequest,
    request: Request,
    session: SessionDep,
    km: KeyManagerDep,
    _: InternalPrincipal,
) -> BasicAuthResult | JSONResponse:
    username, tenant = await resolve_login(session, body.username.strip(), body.tenant or DEFAULT_TENANT)
    name = f"{username}@{tenant}"
    address = str(body.clientAddress) if body.clientAddress is not None else None
    guard = km.users.guard
    if guard is not None:
        try:
            await guard.check(name, address)
        except SignInLocked as exc:
            return JSONResponse(
                {"code": 429, "message": "Too Many Requests", "description": exc.description},
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
    user = await UserRepository(session).by_name(tenant, username)
    # A user of an inactive tenant is refused as an inactive user is.
    usable = user is not None and user.active and not await TenantRepository(session).is_inactive(tenant)
    stored = user.password_hash if user is not None and usable else None
    # Verified even without a user (against a dummy hash): the same work either way.
    matched = await km.users.passwords.verify(stored, body.password)
    if user is None or not matched:
        if guard is not None:
            await guard.failed(name, address)
        return BasicAuthResult(valid=False)
    if guard is not None:
        await guard.succeeded(name)
    await km.users.upgrade_hash(user, body.password)
    roles = await km.users.roles(session, user)
    scope_map = await km.scopes.map_for(user.tenant)
    held = scope_map.expand(roles)
    scopes = sorted(
        scope
        for scope, allowed in scope_map.roles_by_scope.items()
        if scope != INTERNAL_SCOPE and allowed & held
    )
    return BasicAuthResult(
        valid=True,
        username=user.username,
        tenant=user.tenant,
        subject=f"{user.username}@{user.tenant}",
        roles=sorted(held),
        scopes=scopes,
    )
