"""An application's WebSub subscribers, kept from the gateway hub's ``webhook-subscription.*`` events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest
from apim_common.events.envelope import CloudEvent
from apim_common.events.webhooks import (
    CREATED,
    DELETED,
    DELIVERED,
    WebhookDeliveryData,
    WebhookSubscriptionData,
)
from apim_common.security import Principal
from apim_devportal.applications import service as applications
from apim_devportal.webhooks.models import WebhookSubscription
from apim_devportal.webhooks.repository import WebhookSubscriptionRepository

NOT_DELIVERED, DELIVERED_OK, DELIVERY_FAILED = 0, 1, 2
_STATUS = {"DELIVERED": DELIVERED_OK, "FAILED": DELIVERY_FAILED}


async def of_application(
    session: AsyncSession, principal: Principal, application_id: str | None, api_id: str | None
) -> Sequence[WebhookSubscription]:
    """The subscribers of an application the caller may see (404 for anyone else's)."""
    if not application_id:
        raise BadRequest("applicationId is required: webhook subscriptions belong to an application")
    app = await applications.visible(session, principal, application_id)
    return await WebhookSubscriptionRepository(session).of_application(app.tenant, app.id, api_id)


async def live(session: AsyncSession) -> list[dict[str, object]]:
    """The gateways' snapshot: every live subscriber in the ``created`` event's shape, its secret
    still sealed, with its tenant."""
    rows = await WebhookSubscriptionRepository(session).live(datetime.now(UTC))
    return [
        {
            **WebhookSubscriptionData(
                subscriptionId=row.id,
                apiId=row.api_id,
                applicationId=row.application_id,
                topic=row.topic,
                callbackUrl=row.callback_url,
                subscribedAt=row.subscribed_at,
                leaseSeconds=int((row.lease_expires_at - row.subscribed_at).total_seconds()),
                secret=row.secret,
            ).model_dump(mode="json"),
            "tenant": row.tenant,
        }
        for row in rows
    ]


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    """``webhook-subscription.created|delivered|deleted`` from the gateway's WebSub hub."""
    repository = WebhookSubscriptionRepository(session)
    try:
        if event.type == CREATED:
            data = WebhookSubscriptionData.model_validate(event.data)
            row = await repository.get(data.subscriptionId)
            if row is None:
                row = WebhookSubscription(id=data.subscriptionId, tenant=event.tenant, delivery_status=0)
                session.add(row)
            row.api_id, row.application_id = data.apiId, data.applicationId
            row.topic, row.callback_url = data.topic, data.callbackUrl
            row.subscribed_at = data.subscribedAt
            row.lease_expires_at = data.subscribedAt + timedelta(seconds=data.leaseSeconds)
            row.secret = data.secret
        elif event.type == DELIVERED:
            delivery = WebhookDeliveryData.model_validate(event.data)
            found = await repository.get(delivery.subscriptionId)
            if found is not None and found.tenant == event.tenant:
                found.delivered_at = delivery.deliveredAt
                found.delivery_status = _STATUS[delivery.outcome]
        elif event.type == DELETED:
            gone = await repository.get(str(event.data.get("subscriptionId") or event.subject))
            if gone is not None and gone.tenant == event.tenant:
                await repository.delete(gone)
    except ValidationError:
        # A malformed event cannot become valid by being retried.
        return
    await session.flush()
