"""SQL of the role -> scope map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select

from apim_common.repository import Repository
from apim_key_manager.scopes.models import RoleAlias, ScopeRoles


class ScopeRolesRepository(Repository[ScopeRoles]):
    model = ScopeRoles

    async def for_tenant(self, tenant: str) -> Sequence[ScopeRoles]:
        return await self.all(self.select().where(ScopeRoles.tenant == tenant))

    async def aliases(self, tenant: str) -> Sequence[RoleAlias]:
        result = await self.session.execute(select(RoleAlias).where(RoleAlias.tenant == tenant))
        return result.scalars().all()

    async def has_map(self, tenant: str) -> bool:
        row = await self.session.scalar(select(ScopeRoles.scope).where(ScopeRoles.tenant == tenant).limit(1))
        return row is not None

    async def replace(
        self, tenant: str, scopes: Mapping[str, Sequence[str]], aliases: Mapping[str, Sequence[str]]
    ) -> None:
        await self.session.execute(delete(ScopeRoles).where(ScopeRoles.tenant == tenant))
        await self.session.execute(delete(RoleAlias).where(RoleAlias.tenant == tenant))
        self.session.add_all(
            ScopeRoles(tenant=tenant, scope=scope, roles=list(roles)) for scope, roles in scopes.items()
        )
        self.session.add_all(
            RoleAlias(tenant=tenant, role=role, aliases=list(names)) for role, names in aliases.items()
        )
        await self.session.flush()
