"""SQL for user-added operation policies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from apim_common.repository import Repository
from apim_publisher.policies.models import StoredPolicy


class PolicyRepository(Repository[StoredPolicy]):
    model = StoredPolicy

    async def common(self, tenant: str) -> Sequence[StoredPolicy]:
        return await self.all(
            select(StoredPolicy)
            .where(StoredPolicy.tenant == tenant, StoredPolicy.api_id.is_(None))
            .order_by(StoredPolicy.name, StoredPolicy.version)
        )

    async def of_api(self, api_id: str) -> Sequence[StoredPolicy]:
        return await self.all(
            select(StoredPolicy)
            .where(StoredPolicy.api_id == api_id)
            .order_by(StoredPolicy.name, StoredPolicy.version)
        )

    async def named(self, tenant: str, api_id: str | None, name: str, version: str) -> StoredPolicy | None:
        scope = StoredPolicy.api_id.is_(None) if api_id is None else StoredPolicy.api_id == api_id
        return await self.one_or_none(
            select(StoredPolicy).where(
                StoredPolicy.tenant == tenant,
                scope,
                StoredPolicy.name == name,
                StoredPolicy.version == version,
            )
        )
