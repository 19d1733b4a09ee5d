"""Which key managers a caller may see and use: the resident one, the tenant's own and the global
ones, each filtered by its permissions against the caller's roles (4.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Forbidden
from apim_common.events.envelope import CloudEvent
from apim_devportal.key_managers.models import KeyManagerView
from apim_devportal.key_managers.repository import KeyManagerRepository
from apim_devportal.key_managers.schemas import KeyManagerInfo

RESIDENT = "Resident Key Manager"
DEFAULT_GRANT_TYPES = [
    "client_credentials",
    "password",
    "refresh_token",
    "authorization_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
]


def resident(token_endpoint: str) -> dict[str, Any]:
    base = token_endpoint.rsplit("/", 1)[0]
    return {
        "id": "resident-key-manager",
        "name": RESIDENT,
        "displayName": RESIDENT,
        "type": "default",
        "description": "This is Resident Key Manager",
        "enabled": True,
        "availableGrantTypes": DEFAULT_GRANT_TYPES,
        "tokenEndpoint": token_endpoint,
        "revokeEndpoint": f"{base}/revoke",
        "userInfoEndpoint": f"{base}/userinfo",
        "enableTokenGeneration": True,
        "enableOAuthAppCreation": True,
        "enableMapOAuthConsumerApps": True,
        "global": False,
        "permissions": {"permissionType": "PUBLIC", "roles": []},
        "tokenType": "DIRECT",
    }


def permitted(data: dict[str, Any], roles: frozenset[str]) -> bool:
    permissions = data.get("permissions") or {}
    kind = str(permissions.get("permissionType") or "PUBLIC").upper()
    listed = set(permissions.get("roles") or [])
    if kind == "ALLOW":
        return bool(listed & roles)
    if kind == "DENY":
        return not listed & roles
    return True


async def usable(session: AsyncSession, tenant: str, token_endpoint: str) -> list[dict[str, Any]]:
    """Every enabled key manager of ``tenant``, whoever asks."""
    rows = await KeyManagerRepository(session).usable_in(tenant)
    by_name: dict[str, KeyManagerView] = {}
    for row in rows:
        # The tenant's own definition wins over a global one of the same name.
        if row.name not in by_name or row.tenant == tenant:
            by_name[row.name] = row
    found: list[dict[str, Any]] = []
    if RESIDENT not in by_name:
        found.append(resident(token_endpoint))
    found.extend(row.data for row in by_name.values() if not row.deleted)
    return [data for data in found if data.get("enabled", True)]


async def visible(
    session: AsyncSession, tenant: str, roles: frozenset[str], token_endpoint: str
) -> list[dict[str, Any]]:
    return [data for data in await usable(session, tenant, token_endpoint) if permitted(data, roles)]


async def require_usable(
    session: AsyncSession, tenant: str, roles: frozenset[str], name: str, token_endpoint: str
) -> dict[str, Any]:
    """The key manager ``name`` if the caller may generate keys with it; 403 when hidden from them."""
    for data in await usable(session, tenant, token_endpoint):
        if data.get("name") == name:
            if not permitted(data, roles):
                raise Forbidden(
                    f"Key manager {name} is not permitted for the user",
                    message="Key Manager Not Permitted",
                )
            return data
    raise BadRequest(f"Key manager {name} was not found or is not enabled", message="Invalid Key Manager")


def public(data: dict[str, Any]) -> KeyManagerInfo:
    info = KeyManagerInfo.model_validate({**data, "type": data.get("type") or "default"})
    if not info.displayName:
        info.displayName = info.name
    return info


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    """``key-manager.created|updated|deleted``."""
    data = dict(event.data)
    name = data.get("name")
    if not name:
        return
    repository = KeyManagerRepository(session)
    row = await repository.by_name(event.tenant, name)
    ident = str(data.get("id") or event.subject)
    if row is None:
        existing = await repository.get(ident)
        if existing is not None:  # renamed
            await repository.delete(existing)
        row = await repository.add(
            KeyManagerView(id=ident, tenant=event.tenant, name=name, is_global=False, data=data)
        )
    row.data = data
    row.is_global = bool(data.get("global") or data.get("isGlobal"))
    row.deleted = event.type.endswith(".deleted")
    await session.flush()
