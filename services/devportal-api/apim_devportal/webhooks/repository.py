from collections.abc import Sequence

from apim_common.repository import Repository
from apim_devportal.webhooks.models import WebhookSubscription


class WebhookSubscriptionRepository(Repository[WebhookSubscription]):
    model = WebhookSubscription

    async def of_application(
        self, tenant: str, application_id: str, api_id: str | None
    ) -> Sequence[WebhookSubscription]:
        statement = self.select().where(
            WebhookSubscription.tenant == tenant, WebhookSubscription.application_id == application_id
        )
        if api_id:
            statement = statement.where(WebhookSubscription.api_id == api_id)
        return await self.all(statement.order_by(WebhookSubscription.topic, WebhookSubscription.callback_url))
