"""WSO2's ``WebhookSubscription`` of Developer Portal v3."""

from __future__ import annotations

import builtins

from pydantic import BaseModel

from apim_common.pagination import Pagination


class WebhookSubscriptionPublic(BaseModel):
    apiId: str
    appId: str
    topic: str
    callBackUrl: str
    # When the subscriber's intent was verified (ISO 8601); not in WSO2's shape, which has no
    # subscription time, shown by the Developer Portal's application page.
    subscribedTime: str
    # When the last delivery attempt ended (ISO 8601), if there was one.
    deliveryTime: str | None = None
    # 0 nothing delivered yet, 1 the last delivery succeeded, 2 it failed.
    deliveryStatus: int
    # When the subscriber's lease ends unless it renews (ISO 8601).
    leaseExpiryTime: str


class WebhookSubscriptionList(BaseModel):
    count: int
    list: builtins.list[WebhookSubscriptionPublic]
    pagination: Pagination
