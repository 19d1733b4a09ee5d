"""``GET /webhooks/subscriptions``: the WebSub subscribers of an application's WebSub APIs."""

from __future__ import annotations

from fastapi import APIRouter

from apim_common.db import SessionDep
from apim_common.errors import Unauthorized
from apim_common.pagination import PageDep, Pagination
from apim_common.security import InternalPrincipal, OptionalPrincipal
from apim_devportal.webhooks import service
from apim_devportal.webhooks.models import WebhookSubscription
from apim_devportal.webhooks.schemas import WebhookSubscriptionList, WebhookSubscriptionPublic

router = APIRouter(tags=["Webhooks"])


def _public(row: WebhookSubscription) -> WebhookSubscriptionPublic:
    return WebhookSubscriptionPublic(
        apiId=row.api_id,
        appId=row.application_id,
        topic=row.topic,
        callBackUrl=row.callback_url,
        subscribedTime=row.subscribed_at.isoformat(),
        deliveryTime=row.delivered_at.isoformat() if row.delivered_at is not None else None,
        deliveryStatus=row.delivery_status,
        leaseExpiryTime=row.lease_expires_at.isoformat(),
    )


@router.get("/webhooks/subscriptions")
async def list_webhook_subscriptions(
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    applicationId: str | None = None,
    apiId: str | None = None,
) -> WebhookSubscriptionList:
    if principal is None:
        # WSO2 asks for a token but no scope: the application's owner or group sees its subscribers.
        raise Unauthorized("A token is needed to list an application's webhook subscriptions")
    rows = await service.of_application(session, principal, applicationId, apiId)
    chunk = rows[page.offset : page.offset + page.limit]
    return WebhookSubscriptionList(
        count=len(chunk),
        list=[_public(r) for r in chunk],
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(rows)),
    )


@router.get("/internal/webhook-subscriptions", tags=["Internal"])
async def live_webhook_subscriptions(session: SessionDep, _: InternalPrincipal) -> dict[str, object]:
    """Every tenant's live WebSub subscribers, for a starting gateway (service tokens only)."""
    return {"list": await service.live(session)}
