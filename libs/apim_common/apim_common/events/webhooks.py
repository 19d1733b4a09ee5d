"""What the gateway's WebSub hub tells the Developer Portal about its subscribers, on
``Topic.WEBHOOK_SUBSCRIPTIONS`` with the subscription's id as the event's subject.

- ``webhook-subscription.created``: an intent was verified (also sent again when a subscriber
  renews its lease); data is ``WebhookSubscriptionData``.
- ``webhook-subscription.delivered``: an attempt to deliver an event ended; data is
  ``WebhookDeliveryData``.
- ``webhook-subscription.deleted``: the subscriber unsubscribed or its lease ran out; data is
  ``{"subscriptionId": ...}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CREATED = "webhook-subscription.created"
DELIVERED = "webhook-subscription.delivered"
DELETED = "webhook-subscription.deleted"


class WebhookSubscriptionData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subscriptionId: str = Field(min_length=1, max_length=64)
    apiId: str = Field(min_length=1, max_length=64)
    applicationId: str = Field(min_length=1, max_length=64)
    topic: str = Field(min_length=1, max_length=512)
    callbackUrl: str = Field(min_length=1, max_length=2048)
    subscribedAt: datetime
    # ``hub.lease_seconds`` as granted; the subscription ends at ``subscribedAt`` plus this.
    leaseSeconds: int = Field(ge=0)


class WebhookDeliveryData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subscriptionId: str = Field(min_length=1, max_length=64)
    deliveredAt: datetime
    outcome: Literal["DELIVERED", "FAILED"]
