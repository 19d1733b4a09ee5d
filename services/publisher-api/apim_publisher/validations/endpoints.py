"""HEAD /roles/{roleId}, /me/roles/{roleId}, /scopes/{scopeId} and /tenants/{tenantDomain}: 200 when
it exists, 404 when not, no body (WSO2's answers). Role and scope names come Base64URL-encoded."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import Principal, require_scopes
from apim_publisher import scopes
from apim_publisher.apis.access import roles_of
from apim_publisher.apis.repository import APIRepository
from apim_publisher.catalog import service as catalog
from apim_publisher.catalog.service import KnownRepository
from apim_publisher.internal_calls import call, key_manager
from apim_publisher.shared_scopes.service import ScopeRepository

router = APIRouter(tags=["Roles", "Scopes", "Tenants"])

RoleCheck = Annotated[
    Principal, Depends(require_scopes(scopes.API_CREATE, scopes.API_PUBLISH, scopes.API_MANAGE))
]
MyRoleCheck = Annotated[Principal, Depends(require_scopes(scopes.API_CREATE, scopes.API_MANAGE))]
ScopeCheck = Annotated[
    Principal,
    Depends(
        require_scopes(scopes.API_CREATE, scopes.API_PUBLISH, scopes.API_MANAGE, "apim:shared_scope_manage")
    ),
]


def decoded(value: str) -> str:
    """A Base64URL-encoded name (padding optional); one that does not decode names nothing."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotFound(f"{value} is not a Base64URL-encoded name") from None


@router.head("/roles/{roleId}")
async def role_exists(roleId: str, request: Request, principal: RoleCheck) -> Response:
    role = decoded(roleId)
    url = key_manager(request, f"/roles/{quote(role, safe='')}")
    await call(request, "GET", url, f"Role {role}", params={"tenant": principal.tenant})
    return Response(status_code=200)


@router.head("/me/roles/{roleId}")
async def my_role(roleId: str, principal: MyRoleCheck) -> Response:
    role = decoded(roleId)
    if role.lower() not in roles_of(principal):
        raise NotFound(f"You do not hold the role {role}")
    return Response(status_code=200)


@router.head("/scopes/{scopeId}")
async def scope_exists(scopeId: str, session: SessionDep, principal: ScopeCheck) -> Response:
    """A shared scope of the tenant, or a scope one of its APIs declares."""
    name = decoded(scopeId)
    if await ScopeRepository(session).named(principal.tenant, name) is not None:
        return Response(status_code=200)
    for api in await APIRepository(session).of_tenant(principal.tenant):
        if any((s.get("scope") or {}).get("name") == name for s in api.spec.get("scopes") or []):
            return Response(status_code=200)
    raise NotFound(f"Scope {name} not found")


@router.head("/tenants/{tenantDomain}")
async def tenant_exists(
    tenantDomain: str, session: SessionDep, principal: scopes.ApiViewOrManage
) -> Response:
    if tenantDomain == DEFAULT_TENANT:
        return Response(status_code=200)
    if any(row.key == tenantDomain for row in await KnownRepository(session).every(catalog.TENANT)):
        return Response(status_code=200)
    raise NotFound(f"Tenant {tenantDomain} not found")
