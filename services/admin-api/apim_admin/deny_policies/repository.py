from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.deny_policies.models import DenyPolicy
from apim_common.repository import Repository


class DenyPolicyRepository(Repository[DenyPolicy]):
    model = DenyPolicy

    async def list(self, tenant: str) -> Sequence[DenyPolicy]:
        return await self.all(
            select(DenyPolicy).where(DenyPolicy.tenant == tenant).order_by(DenyPolicy.created_at)
        )

    async def by_id(self, tenant: str, condition_id: str) -> DenyPolicy | None:
        return await self.one_or_none(
            select(DenyPolicy).where(DenyPolicy.tenant == tenant, DenyPolicy.id == condition_id)
        )

    async def by_value(self, tenant: str, condition_type: str, value_key: str) -> DenyPolicy | None:
        return await self.one_or_none(
            select(DenyPolicy).where(
                DenyPolicy.tenant == tenant,
                DenyPolicy.condition_type == condition_type,
                DenyPolicy.value_key == value_key,
            )
        )

    async def every_tenant(self) -> Sequence[DenyPolicy]:
        return await self.all(select(DenyPolicy).order_by(DenyPolicy.tenant, DenyPolicy.created_at))
