from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.environments.models import Environment
from apim_common.repository import Repository


class EnvironmentRepository(Repository[Environment]):
    model = Environment

    async def list(self, tenant: str) -> Sequence[Environment]:
        return await self.all(
            select(Environment).where(Environment.tenant == tenant).order_by(Environment.created_at)
        )

    async def by_id(self, tenant: str, environment_id: str) -> Environment | None:
        return await self.one_or_none(
            select(Environment).where(Environment.tenant == tenant, Environment.id == environment_id)
        )

    async def by_name(self, tenant: str, name: str) -> Environment | None:
        return await self.one_or_none(
            select(Environment).where(Environment.tenant == tenant, Environment.name == name)
        )

    async def every_tenant(self) -> Sequence[Environment]:
        return await self.all(select(Environment).order_by(Environment.tenant, Environment.created_at))
