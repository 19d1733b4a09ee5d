from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from apim_common.repository import Repository
from apim_devportal.applications.models import Application
from apim_devportal.catalog.models import ApiCategory, CatalogApi
from apim_devportal.feedback.models import Rating
from apim_devportal.subscriptions.models import Subscription

# States in which an API is on the portal at all (DEPRECATED only for its subscribers).
LISTED_STATES = ("PUBLISHED", "PROTOTYPED", "DEPRECATED")


class CatalogRepository(Repository[CatalogApi]):
    model = CatalogApi

    async def listed(self, tenant: str) -> Sequence[CatalogApi]:
        statement = self.select().where(
            CatalogApi.tenant == tenant, CatalogApi.lifecycle_status.in_(LISTED_STATES)
        )
        return await self.all(statement.order_by(func.lower(CatalogApi.name), CatalogApi.version))

    async def of_tenant(self, tenant: str) -> Sequence[CatalogApi]:
        return await self.all(self.select().where(CatalogApi.tenant == tenant))

    async def subscribed_api_ids(self, tenant: str, owner: str, groups: Iterable[str]) -> set[str]:
        """APIs that one of the caller's applications subscribes to."""
        statement = (
            select(Subscription.api_id)
            .join(Application, Application.id == Subscription.application_id)
            .where(Application.tenant == tenant)
        )
        rows = (
            await self.session.execute(statement.add_columns(Application.owner, Application.groups))
        ).all()
        wanted = set(groups)
        return {row[0] for row in rows if row[1] == owner or wanted & set(row[2] or [])}

    async def ratings(self, api_ids: Iterable[str]) -> dict[str, float]:
        ids = list(api_ids)
        if not ids:
            return {}
        statement = (
            select(Rating.api_id, func.avg(Rating.rating))
            .where(Rating.api_id.in_(ids))
            .group_by(Rating.api_id)
        )
        return {row[0]: float(row[1]) for row in (await self.session.execute(statement)).all()}


class CategoryRepository(Repository[ApiCategory]):
    model = ApiCategory

    async def of_tenant(self, tenant: str) -> Sequence[ApiCategory]:
        return await self.all(self.select().where(ApiCategory.tenant == tenant).order_by(ApiCategory.name))
