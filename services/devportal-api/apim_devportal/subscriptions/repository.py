from collections.abc import Sequence

from sqlalchemy import func, select, update

from apim_common.repository import Repository
from apim_devportal.catalog.models import CatalogApi
from apim_devportal.subscriptions.models import Subscription

# A subscription in these states no longer holds a place on its tier.
_PLACE_FREED = ("REJECTED",)


class SubscriptionRepository(Repository[Subscription]):
    model = Subscription

    async def of_application(self, application_id: str) -> Sequence[Subscription]:
        statement = self.select().where(Subscription.application_id == application_id)
        return await self.all(statement.order_by(Subscription.created_at))

    async def of_api(self, api_id: str) -> Sequence[Subscription]:
        return await self.all(
            self.select().where(Subscription.api_id == api_id).order_by(Subscription.created_at)
        )

    async def find(self, application_id: str, api_id: str) -> Subscription | None:
        return await self.one_or_none(
            self.select().where(Subscription.application_id == application_id, Subscription.api_id == api_id)
        )

    async def everything(self) -> Sequence[Subscription]:
        return await self.all(self.select().order_by(Subscription.created_at))

    async def wait_for_subscribers_of(self, api_id: str) -> None:
        """Subscribes to one API queue here until the transaction ends, so each counts the places
        the others took: the API's catalog row is written (a row lock in PostgreSQL), and in SQLite
        this first write of the transaction takes its one write lock."""
        statement = update(CatalogApi).where(CatalogApi.id == api_id).values(id=CatalogApi.id)
        await self.session.execute(statement.execution_options(synchronize_session=False))

    async def places_taken(self, api_id: str, tier: str) -> int:
        """Subscriptions to the API on the tier, pending approval included."""
        statement = (
            select(func.count())
            .select_from(Subscription)
            .where(
                Subscription.api_id == api_id,
                Subscription.throttling_policy == tier,
                Subscription.status.not_in(_PLACE_FREED),
            )
        )
        return int(await self.session.scalar(statement) or 0)
