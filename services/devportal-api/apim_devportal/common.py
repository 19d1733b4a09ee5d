"""Small helpers shared by the domains: ids, times, the caller's roles and tenant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.security import Principal

TENANT_HEADER = "X-WSO2-Tenant"
# Roles every signed-in user holds in WSO2, whatever else they have.
EVERYONE_ROLE = "Internal/everyone"


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def epoch_millis(moment: datetime | None) -> str | None:
    """WSO2 shows times as epoch milliseconds in a string."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp() * 1000))


def roles_of(principal: Principal | None) -> frozenset[str]:
    if principal is None:
        return frozenset()
    roles: Any = principal.claims.get("roles") or []
    if isinstance(roles, str):
        roles = roles.split(",")
    return frozenset(str(r) for r in roles) | {EVERYONE_ROLE}


def groups_of(principal: Principal) -> frozenset[str]:
    """Group ids an application can be shared with: the token's ``groups`` claim, else its roles."""
    groups: Any = principal.claims.get("groups")
    if isinstance(groups, str):
        groups = groups.split(",")
    if groups:
        return frozenset(str(g) for g in groups)
    return roles_of(principal) - {EVERYONE_ROLE}


def is_admin(principal: Principal | None) -> bool:
    return "admin" in roles_of(principal)


def _requested_tenant(
    request: Request, x_wso2_tenant: Annotated[str | None, Header(alias=TENANT_HEADER)] = None
) -> str | None:
    return x_wso2_tenant or request.query_params.get("X-WSO2-Tenant-Q") or None


# The tenant named by the X-WSO2-Tenant header (or the /t/{tenant} path form), if any.
RequestedTenant = Annotated[str | None, Depends(_requested_tenant)]


def catalog_tenant(principal: Principal | None, requested: str | None) -> str:
    """The tenant whose catalog is browsed: the one asked for, else the caller's own."""
    if requested:
        return requested
    return principal.tenant if principal is not None else DEFAULT_TENANT
