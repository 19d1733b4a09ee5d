from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.throttling.models import ThrottlePolicy
from apim_common.repository import Repository


class ThrottlePolicyRepository(Repository[ThrottlePolicy]):
    model = ThrottlePolicy

    async def list(self, tenant: str, policy_type: str | None = None) -> Sequence[ThrottlePolicy]:
        statement = select(ThrottlePolicy).where(ThrottlePolicy.tenant == tenant)
        if policy_type is not None:
            statement = statement.where(ThrottlePolicy.policy_type == policy_type)
        return await self.all(statement.order_by(ThrottlePolicy.policy_type, ThrottlePolicy.created_at))

    async def by_id(self, tenant: str, policy_type: str, policy_id: str) -> ThrottlePolicy | None:
        return await self.one_or_none(
            select(ThrottlePolicy).where(
                ThrottlePolicy.tenant == tenant,
                ThrottlePolicy.policy_type == policy_type,
                ThrottlePolicy.id == policy_id,
            )
        )

    async def by_name(self, tenant: str, policy_type: str, name: str) -> ThrottlePolicy | None:
        return await self.one_or_none(
            select(ThrottlePolicy).where(
                ThrottlePolicy.tenant == tenant,
                ThrottlePolicy.policy_type == policy_type,
                ThrottlePolicy.name == name,
            )
        )

    async def every_tenant(self) -> Sequence[ThrottlePolicy]:
        return await self.all(select(ThrottlePolicy).order_by(ThrottlePolicy.tenant, ThrottlePolicy.name))
