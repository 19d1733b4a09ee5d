"""Publisher access control (WSO2's ``accessControl`` / ``accessControlRoles``) of APIs and products.

``NONE``: every publisher of the tenant sees and changes the API. ``RESTRICTED``: only a caller
holding one of ``accessControlRoles`` does; to anybody else the API does not exist (404, and it
is missing from lists and searches), so that its existence does not leak. A caller with the scope
``apim:admin`` and other services (scope ``apim:internal``) pass. Roles are the ``roles`` claim
the key manager puts in a user's access token, compared case-insensitively as WSO2 does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from apim_common.errors import BadRequest
from apim_common.security import Principal
from apim_publisher.apis.models import API, restricted_roles

ADMIN_SCOPE = "apim:admin"
RESTRICTED = "RESTRICTED"
INVALID_USER_ROLES = 900610


def roles_of(principal: Principal) -> frozenset[str]:
    """The caller's roles, lower-cased; a token may carry them as a list or a comma-separated string."""
    raw: Any = principal.claims.get("roles") or ()
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(str(r).strip().lower() for r in raw if str(r).strip())


def bypasses(principal: Principal) -> bool:
    return principal.is_service or ADMIN_SCOPE in principal.scopes


def restricted_to(spec: Mapping[str, Any]) -> frozenset[str] | None:
    """The roles an API is restricted to; None when it is not restricted."""
    return restricted_roles(dict(spec))


def allows(principal: Principal, api: API) -> bool:
    roles = restricted_to(api.spec)
    if roles is None or bypasses(principal):
        return True
    return bool(roles & roles_of(principal))


def allows_listed(principal: Principal, access_roles: str | None) -> bool:
    """``allows`` on an API's listed ``access_roles`` column (models.py keeps it from its spec)."""
    if access_roles is None or bypasses(principal):
        return True
    return bool(frozenset(access_roles.splitlines()) & roles_of(principal))


def accessible(principal: Principal, apis: Iterable[API]) -> list[API]:
    return [api for api in apis if allows(principal, api)]


def check_roles(principal: Principal, access_control: str, roles: Sequence[str]) -> None:
    """Refuse a restriction that would lock its own author out (WSO2's ``validateUserRoles``)."""
    if access_control.upper() != RESTRICTED:
        return
    wanted = frozenset(r.strip().lower() for r in roles if r.strip())
    if not wanted:
        raise BadRequest(
            "accessControlRoles must name at least one role when accessControl is RESTRICTED",
            message="Invalid user roles found",
            code=INVALID_USER_ROLES,
        )
    if bypasses(principal) or wanted & roles_of(principal):
        return
    raise BadRequest(
        "This user does not have at least one role specified in API access control.",
        message="Invalid user roles found",
        code=INVALID_USER_ROLES,
    )
