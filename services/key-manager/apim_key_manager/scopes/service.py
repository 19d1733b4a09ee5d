"""Which of the requested scopes a token gets: those the holder's roles allow.

The map is per tenant: the resident defaults until admin-api publishes ``system-scopes.updated``.
Each replica caches a tenant's map for ``cache_ttl`` seconds, so a change made through another
replica takes effect within that time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.events.envelope import CloudEvent
from apim_common.security import INTERNAL_SCOPE
from apim_key_manager.cache import LoadingCache
from apim_key_manager.scopes.defaults import DEFAULT_SCOPE, DEFAULT_SCOPE_ROLES
from apim_key_manager.scopes.repository import ScopeRolesRepository

SYSTEM_SCOPE_PREFIX = "apim:"
ALWAYS_ALLOWED = frozenset({DEFAULT_SCOPE, "openid", "am_application_scope"})


@dataclass(frozen=True)
class ScopeMap:
    roles_by_scope: Mapping[str, frozenset[str]]
    # role -> other role names that count as that role
    aliases: Mapping[str, frozenset[str]]

    def expand(self, roles: Iterable[str]) -> frozenset[str]:
        held = set(roles)
        held.update(role for role, names in self.aliases.items() if names & held)
        return frozenset(held)

    def grant(self, requested: Sequence[str], roles: Iterable[str]) -> list[str]:
        """The requested scopes ``roles`` allow, in request order; ``default`` when none is left.

        A scope of the map needs one of its roles (a non-system scope bound to no role is open to
        all); scopes outside the map pass only if always allowed (``openid``, ``device_*``), as in
        WSO2; ``apim:internal`` belongs to the internal client alone.
        """
        held = self.expand(roles)
        granted: list[str] = []
        for scope in dict.fromkeys(requested):
            if scope == INTERNAL_SCOPE:
                continue
            allowed = self.roles_by_scope.get(scope)
            if allowed is None:
                if scope in ALWAYS_ALLOWED or scope.startswith("device_"):
                    granted.append(scope)
                continue
            if allowed & held or (not allowed and not scope.startswith(SYSTEM_SCOPE_PREFIX)):
                granted.append(scope)
        return granted or [DEFAULT_SCOPE]


DEFAULT_MAP = ScopeMap(
    roles_by_scope={scope: frozenset(roles) for scope, roles in DEFAULT_SCOPE_ROLES.items()}, aliases={}
)


class ScopePolicy:
    def __init__(self, database: Database, ttl: float) -> None:
        self._database = database
        self._cache: LoadingCache[str, ScopeMap] = LoadingCache(ttl)

    def invalidate(self, tenant: str | None = None) -> None:
        self._cache.forget(tenant)

    async def map_for(self, tenant: str) -> ScopeMap:
        async def load() -> ScopeMap:
            async with self._database.session() as session:
                return await load_map(session, tenant)

        scope_map = await self._cache.get(tenant, load)
        assert scope_map is not None  # load_map always answers a map
        return scope_map


async def load_map(session: AsyncSession, tenant: str) -> ScopeMap:
    repo = ScopeRolesRepository(session)
    rows = await repo.for_tenant(tenant)
    if not rows:
        return DEFAULT_MAP
    aliases = await repo.aliases(tenant)
    return ScopeMap(
        roles_by_scope={row.scope: frozenset(row.roles) for row in rows},
        aliases={row.role: frozenset(row.aliases) for row in aliases},
    )


async def seed_defaults(session: AsyncSession, tenant: str) -> bool:
    """Write the resident map for ``tenant`` unless it has one; True if written."""
    repo = ScopeRolesRepository(session)
    if await repo.has_map(tenant):
        return False
    await repo.replace(tenant, DEFAULT_SCOPE_ROLES, {})
    return True


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


async def apply_system_scopes(session: AsyncSession, event: CloudEvent) -> None:
    """``system-scopes.updated``: the tenant's whole map and role aliases, as admin-api holds them."""
    scopes: dict[str, list[str]] = {}
    for entry in event.data.get("scopes") or []:
        if isinstance(entry, dict) and entry.get("name"):
            scopes[str(entry["name"])] = _names(entry.get("roles"))
    aliases: dict[str, list[str]] = {}
    for entry in event.data.get("roleAliases") or []:
        if isinstance(entry, dict) and entry.get("role"):
            aliases[str(entry["role"])] = _names(entry.get("aliases"))
    if not scopes:
        # An empty map would lock every user out of the portals; keep the one in force.
        return
    await ScopeRolesRepository(session).replace(event.tenant, scopes, aliases)
