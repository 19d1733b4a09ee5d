from collections.abc import Sequence

from apim_common.repository import Repository
from apim_devportal.subscriptions.models import Subscription


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
