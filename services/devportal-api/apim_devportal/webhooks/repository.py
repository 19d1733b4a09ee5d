from collections.abc import Sequence
from datetime import datetime

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

    async def live(self, now: datetime) -> Sequence[WebhookSubscription]:
        """Every tenant's subscribers whose lease runs, for the gateways' snapshot."""
        return await self.all(
            self.select().where(WebhookSubscription.lease_expires_at > now).order_by(WebhookSubscription.id)
        )
