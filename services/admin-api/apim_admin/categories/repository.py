from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.categories.models import ApiCategory
from apim_common.repository import Repository


class ApiCategoryRepository(Repository[ApiCategory]):
    model = ApiCategory

    async def list(self, tenant: str) -> Sequence[ApiCategory]:
        return await self.all(
            select(ApiCategory).where(ApiCategory.tenant == tenant).order_by(ApiCategory.name)
        )

    async def by_id(self, tenant: str, category_id: str) -> ApiCategory | None:
        return await self.one_or_none(
            select(ApiCategory).where(ApiCategory.tenant == tenant, ApiCategory.id == category_id)
        )

    async def by_name(self, tenant: str, name: str) -> ApiCategory | None:
        return await self.one_or_none(
            select(ApiCategory).where(ApiCategory.tenant == tenant, ApiCategory.name == name)
        )
