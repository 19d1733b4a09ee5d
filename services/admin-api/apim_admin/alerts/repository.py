from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.alerts.models import AlertSubscription, BotDetectionSubscription
from apim_common.repository import Repository


class AlertSubscriptionRepository(Repository[AlertSubscription]):
    model = AlertSubscription

    async def of(self, tenant: str, username: str) -> AlertSubscription | None:
        return await self.one_or_none(
            select(AlertSubscription).where(
                AlertSubscription.tenant == tenant, AlertSubscription.username == username
            )
        )


class BotDetectionSubscriptionRepository(Repository[BotDetectionSubscription]):
    model = BotDetectionSubscription

    async def list(self, tenant: str) -> Sequence[BotDetectionSubscription]:
        return await self.all(
            select(BotDetectionSubscription)
            .where(BotDetectionSubscription.tenant == tenant)
            .order_by(BotDetectionSubscription.email)
        )

    async def by_email(self, tenant: str, email: str) -> BotDetectionSubscription | None:
        return await self.one_or_none(
            select(BotDetectionSubscription).where(
                BotDetectionSubscription.tenant == tenant, BotDetectionSubscription.email == email
            )
        )

    async def by_id(self, tenant: str, ident: str) -> BotDetectionSubscription | None:
        return await self.one_or_none(
            select(BotDetectionSubscription).where(
                BotDetectionSubscription.tenant == tenant, BotDetectionSubscription.id == ident
            )
        )
