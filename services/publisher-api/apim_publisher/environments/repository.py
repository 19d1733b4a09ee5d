"""SQL for the local copy of gateway environments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select

from apim_common.repository import Repository
from apim_publisher.environments.models import ALL_TENANTS, Environment, PolicyImplementations


class EnvironmentRepository(Repository[Environment]):
    model = Environment

    async def visible_to(self, tenant: str) -> Sequence[Environment]:
        rows = await self.all(
            select(Environment).where(or_(Environment.tenant == tenant, Environment.tenant == ALL_TENANTS))
        )
        # A tenant's own environment shadows a server-wide one of the same name.
        chosen: dict[str, Environment] = {}
        for row in sorted(rows, key=lambda e: e.tenant != ALL_TENANTS):
            chosen[row.name] = row
        return sorted(chosen.values(), key=lambda e: e.name)

    async def named(self, tenant: str, name: str) -> Environment | None:
        for environment in await self.visible_to(tenant):
            if environment.name == name:
                return environment
        return None

    async def exact(self, tenant: str, name: str) -> Environment | None:
        return await self.one_or_none(
            select(Environment).where(Environment.tenant == tenant, Environment.name == name)
        )

    async def by_id(self, environment_id: str) -> Environment | None:
        return await self.get(environment_id)


class PolicyImplementationsRepository(Repository[PolicyImplementations]):
    model = PolicyImplementations

    async def every(self) -> Sequence[PolicyImplementations]:
        return await self.all(select(PolicyImplementations))
