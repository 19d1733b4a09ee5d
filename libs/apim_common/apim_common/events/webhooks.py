"""What the gateway's WebSub hub tells the Developer Portal about its subscribers, on
``Topic.WEBHOOK_SUBSCRIPTIONS`` with the subscription's id as the event's subject.

- ``webhook-subscription.created``: an intent was verified (also sent again when a subscriber
  renews its lease); data is ``WebhookSubscriptionData``.
- ``webhook-subscription.delivered``: an attempt to deliver an event ended; data is
  ``WebhookDeliveryData``.
- ``webhook-subscription.deleted``: the subscriber unsubscribed or its lease ran out; data is
  ``{"subscriptionId": ...}``.

A subscriber's ``hub.secret`` travels and rests sealed (``apim_common.sealed``, purpose
``SECRET_PURPOSE``): the gateways hold the key and open it to sign deliveries; the Developer
Portal keeps the sealed value for the gateways' snapshot and never shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from apim_common.sealed import is_sealed

CREATED = "webhook-subscription.created"
DELIVERED = "webhook-subscription.delivered"
DELETED = "webhook-subscription.deleted"
# The purpose under which the gateways seal and open subscribers' ``hub.secret``.
SECRET_PURPOSE = "websub-subscriber-secret"


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
    # ``hub.secret``, sealed; None when the subscriber gave none (deliveries are then unsigned).
    secret: str | None = Field(default=None, max_length=4096)

    @field_validator("secret")
    @classmethod
    def _sealed(cls, value: str | None) -> str | None:
        if value is not None and not is_sealed(value):
            raise ValueError("a subscriber's secret travels sealed, never in clear")
        return value


class WebhookDeliveryData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subscriptionId: str = Field(min_length=1, max_length=64)
    deliveredAt: datetime
    outcome: Literal["DELIVERED", "FAILED"]
