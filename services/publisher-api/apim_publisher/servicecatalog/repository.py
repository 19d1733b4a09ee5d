"""SQL for catalog services."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from apim_common.repository import Repository
from apim_publisher.servicecatalog.models import CatalogService


class ServiceRepository(Repository[CatalogService]):
    model = CatalogService

    async def in_tenant(self, tenant: str, service_id: str) -> CatalogService | None:
        return await self.one_or_none(
            select(CatalogService).where(CatalogService.id == service_id, CatalogService.tenant == tenant)
        )

    async def with_key(self, tenant: str, key: str) -> CatalogService | None:
        return await self.one_or_none(
            select(CatalogService).where(CatalogService.tenant == tenant, CatalogService.service_key == key)
        )

    async def with_name_version(self, tenant: str, name: str, version: str) -> CatalogService | None:
        return await self.one_or_none(
            select(CatalogService).where(
                CatalogService.tenant == tenant,
                func.lower(CatalogService.name) == name.lower(),
                CatalogService.version == version,
            )
        )

    async def of_tenant(self, tenant: str) -> Sequence[CatalogService]:
        return await self.all(
            select(CatalogService).where(CatalogService.tenant == tenant).order_by(CatalogService.created_at)
        )
