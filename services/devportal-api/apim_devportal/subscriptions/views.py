"""How a subscription is shown, and announced (the gateway reads the same shape)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.topics import Topic
from apim_devportal.applications.models import Application
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.views import info as application_info
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.repository import CatalogRepository
from apim_devportal.events import announce
from apim_devportal.subscriptions.models import Subscription
from apim_devportal.subscriptions.schemas import SubscriptionPublic


async def public(
    session: AsyncSession, sub: Subscription, app: Application | None = None, prefix: str = ""
) -> SubscriptionPublic:
    if app is None:
        app = await ApplicationRepository(session).get(sub.application_id)
    api = await CatalogRepository(session).get(sub.api_id)
    counts = await ApplicationRepository(session).subscription_counts([app.id]) if app else {}
    return SubscriptionPublic(
        subscriptionId=sub.id,
        applicationId=sub.application_id,
        apiId=sub.api_id,
        apiInfo=catalog.info(api, None, prefix) if api is not None else None,
        applicationInfo=application_info(app, counts.get(app.id, 0)) if app is not None else None,
        throttlingPolicy=sub.throttling_policy,
        requestedThrottlingPolicy=sub.requested_throttling_policy,
        status=sub.status,
    )


def for_gateway(sub: Subscription) -> dict[str, Any]:
    """What a gateway keeps of a subscription, from its own row alone: a snapshot of every
    subscription costs one query however many there are (the events carry the whole view)."""
    return {
        "subscriptionId": sub.id,
        "applicationId": sub.application_id,
        "apiId": sub.api_id,
        "throttlingPolicy": sub.throttling_policy,
        "requestedThrottlingPolicy": sub.requested_throttling_policy,
        "status": sub.status,
        "tenant": sub.tenant,
    }


async def announce_change(
    session: AsyncSession, sub: Subscription, action: str, app: Application | None = None
) -> None:
    data: dict[str, Any] = (await public(session, sub, app)).model_dump(mode="json")
    data["tenant"] = sub.tenant
    await announce(session, Topic.SUBSCRIPTIONS, f"subscription.{action}", sub.id, data, tenant=sub.tenant)
