"""The events the Developer Portal API produces, each with the model its data is made from.

``make asyncapi-schemas`` writes their JSON Schema to ``event_schemas.json`` beside this file,
which the platform's AsyncAPI document is built from (``apim_common.events.asyncapi``).
"""

from __future__ import annotations

from apim_common.events import Topic
from apim_common.events.asyncapi import Catalog, EventType, crud
from apim_common.events.schemas import KeyMappingData, TokenRevokedData, WorkflowRequestedData
from apim_devportal.applications.schemas import ApplicationPublic
from apim_devportal.subscriptions.schemas import SubscriptionPublic


class ApplicationEventData(ApplicationPublic):
    """An application as ``GET /applications/{applicationId}`` shows it; its ``keys`` are never
    sent (``key-mapping`` events on the keys topic say which consumer key is whose)."""

    tenant: str


class SubscriptionEventData(SubscriptionPublic):
    tenant: str


CATALOG: Catalog = {
    Topic.APPLICATIONS: crud("application", "an application", ApplicationEventData),
    Topic.SUBSCRIPTIONS: crud("subscription", "a subscription", SubscriptionEventData),
    Topic.KEYS: [
        EventType(
            "key-mapping.created",
            "an application's consumer key was generated or mapped (no secret)",
            KeyMappingData,
        ),
        EventType("key-mapping.deleted", "an application's consumer key was removed", KeyMappingData),
    ],
    Topic.TOKEN_REVOCATIONS: [
        EventType("token.revoked", "an application's API key was revoked", TokenRevokedData),
    ],
    Topic.WORKFLOWS: [
        EventType(
            "workflow.requested",
            "an application, subscription or key change waits for an approval",
            WorkflowRequestedData,
        ),
    ],
}
