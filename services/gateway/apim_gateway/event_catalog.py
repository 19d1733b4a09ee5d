"""The events the gateway produces, each with the model its data is made from (or, for the
analytics events built field by field on the request path, the model that states those fields).

``make asyncapi-schemas`` writes their JSON Schema to ``event_schemas.json`` beside this file,
which the platform's AsyncAPI document is built from (``apim_common.events.asyncapi``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from apim_common.events import Topic
from apim_common.events.asyncapi import Catalog, EventType
from apim_common.events.bot_detection import RECORDED, BotDetectionData
from apim_common.events.webhooks import (
    CREATED,
    DELETED,
    DELIVERED,
    WebhookDeliveryData,
    WebhookSubscriptionData,
)
from apim_gateway.observability import (
    REQUEST_EVENT,
    SSE_STREAM_EVENT,
    SSE_THROTTLED_EVENT,
    WEBSOCKET_CONNECTION_EVENT,
    WEBSOCKET_THROTTLED_EVENT,
)


class AnalyticsEventData(BaseModel):
    """One request's (or stream's) analytics event in WSO2's shape (carbon-apimgt's analytics
    ``Event``), as ``apim_gateway.request.analytics_event`` builds it: latencies in whole
    milliseconds, ``requestTimestamp`` ISO-8601 UTC with milliseconds; a ``fault`` adds
    ``errorType``, ``errorCode`` and ``errorMessage``."""

    apiId: str
    apiName: str
    apiVersion: str
    apiType: str = Field(description="HTTP, WS, SSE, WEBSUB, GRAPHQL, SOAP... or APIPRODUCT")
    apiContext: str
    apiCreator: str | None
    apiCreatorTenantDomain: str
    apiMethod: str
    apiResourceTemplate: str
    applicationId: str | None
    applicationName: str | None
    applicationOwner: str | None
    keyType: str | None = Field(description="PRODUCTION or SANDBOX; null for an unsecured call")
    userName: str | None
    userIp: str
    userAgent: str | None
    userAgentHeader: str | None
    platform: str | None
    correlationId: str
    destination: str | None = Field(description="the backend endpoint the call went to first")
    proxyResponseCode: int
    targetResponseCode: int = Field(description="-1 when the backend was not reached")
    responseLatency: int
    backendLatency: int
    requestMediationLatency: int
    responseMediationLatency: int
    responseCacheHit: bool
    regionId: str
    gatewayType: str
    eventType: Literal["response", "fault"]
    requestTimestamp: str
    properties: dict[str, Any] = Field(
        description="requestSize, responseSize, responseContentType, isEgress; a stream's frames, bytes"
        " and duration"
    )
    gatewayId: str
    errorType: str | None = Field(default=None, description="a fault's category (AUTH, THROTTLED...)")
    errorCode: int | str | None = None
    errorMessage: str | None = Field(default=None, description="a fault's sub-category")


class WebhookUnsubscribedData(BaseModel):
    subscriptionId: str


CATALOG: Catalog = {
    Topic.ANALYTICS: [
        EventType(REQUEST_EVENT, "a gateway served a request (analytics)", AnalyticsEventData),
        EventType(
            WEBSOCKET_CONNECTION_EVENT, "a WebSocket connection through a gateway ended", AnalyticsEventData
        ),
        EventType(
            SSE_STREAM_EVENT, "a server-sent events stream through a gateway ended", AnalyticsEventData
        ),
        EventType(
            WEBSOCKET_THROTTLED_EVENT, "a WebSocket frame was refused by a rate limit", AnalyticsEventData
        ),
        EventType(SSE_THROTTLED_EVENT, "a server-sent event was refused by a rate limit", AnalyticsEventData),
    ],
    Topic.WEBHOOK_SUBSCRIPTIONS: [
        EventType(CREATED, "a WebSub subscriber's intent was verified", WebhookSubscriptionData),
        EventType(DELIVERED, "an attempt to deliver to a WebSub subscriber ended", WebhookDeliveryData),
        EventType(DELETED, "a WebSub subscriber unsubscribed or its lease ran out", WebhookUnsubscribedData),
    ],
    Topic.BOT_DETECTION: [
        EventType(RECORDED, "a call reached one of a gateway's bot traps", BotDetectionData),
    ],
}
