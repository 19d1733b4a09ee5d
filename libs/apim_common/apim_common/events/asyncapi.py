"""The platform's own events as an AsyncAPI 3.0 document: every topic, event type, key and payload.

One channel per ``Topic`` (its address is the deployment's prefix plus the topic's name), one
``receive`` operation per channel (what a consumer does), and one message per event type listed in
``CATALOG``. Every message is a CloudEvents 1.0 record in the Kafka binding's structured mode: the
``content-type: application/cloudevents+json`` header, the event's subject as the record key (so
one aggregate's events keep their order), and the envelope as the value. The envelope's schema is
generated from ``CloudEvent`` (the model every service produces with); the ``data`` of types whose
data has a model of its own is generated from that model, the others are described in words.

The Publisher serves the document at ``GET /api/am/publisher/v4/events/asyncapi.yaml``;
tests/common/test_events_asyncapi.py validates it against the official AsyncAPI 3.0 schema and
every event of a broad scenario against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from apim_common.events.bot_detection import RECORDED, BotDetectionData
from apim_common.events.envelope import CloudEvent
from apim_common.events.kafka import STRUCTURED_CONTENT_TYPE
from apim_common.events.schemas import (
    DeploymentData,
    KeyMappingData,
    TokenRevokedData,
    TokensRevokedBeforeData,
)
from apim_common.events.topics import Topic
from apim_common.events.webhooks import (
    CREATED,
    DELETED,
    DELIVERED,
    WebhookDeliveryData,
    WebhookSubscriptionData,
)

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CONTENT_TYPE = STRUCTURED_CONTENT_TYPE.decode()
_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class EventType:
    name: str
    summary: str
    # The model of the event's data, when it has one; else ``data`` is an object as ``summary`` says.
    data: type[BaseModel] | None = None


def _crud(
    noun: str, what: str, actions: tuple[str, ...] = ("created", "updated", "deleted")
) -> list[EventType]:
    return [
        EventType(f"{noun}.{action}", f"{what} was {action}; data is {what} as its REST view shows it")
        for action in actions
    ]


CATALOG: dict[Topic, list[EventType]] = {
    Topic.APIS: [
        *_crud("api", "an API"),
        EventType(
            "api.lifecycle-changed", "an API's lifecycle state changed; data has the API and its new state"
        ),
        *_crud("api-product", "an API product"),
        EventType("api-product.lifecycle-changed", "an API product's lifecycle state changed"),
        *_crud("document", "a document of an API"),
        EventType("revision.created", "a revision of an API was made"),
        EventType("revision.deleted", "a revision of an API was deleted"),
    ],
    Topic.DEPLOYMENTS: [
        EventType("deployment.deployed", "a revision was deployed to a gateway environment", DeploymentData),
        EventType(
            "deployment.undeployed", "a revision was undeployed from a gateway environment", DeploymentData
        ),
    ],
    Topic.GATEWAY_POLICIES: [
        *_crud("gateway-policy", "a gateway (global) policy mapping"),
        EventType("gateway-policy.deployed", "a gateway policy mapping was deployed to a gateway label"),
        EventType("gateway-policy.undeployed", "a gateway policy mapping was undeployed from a label"),
    ],
    Topic.APPLICATIONS: _crud("application", "an application"),
    Topic.SUBSCRIPTIONS: _crud("subscription", "a subscription"),
    Topic.KEYS: [
        EventType(
            "key-mapping.created",
            "an application's consumer key was generated or mapped (no secret)",
            KeyMappingData,
        ),
        EventType("key-mapping.deleted", "an application's consumer key was removed", KeyMappingData),
    ],
    Topic.THROTTLE_POLICIES: _crud("throttle-policy", "a throttling policy"),
    Topic.DENY_POLICIES: _crud("deny-policy", "a deny (blocking) policy"),
    Topic.KEY_MANAGERS: _crud(
        "key-manager", 'a key manager (secret-named additionalProperties masked as "")'
    ),
    Topic.TOKEN_REVOCATIONS: [
        EventType("token.revoked", "one access token or API key was revoked", TokenRevokedData),
        EventType(
            "tokens.revoked-before",
            "every token of a client or user issued before a time was revoked",
            TokensRevokedBeforeData,
        ),
    ],
    Topic.WORKFLOWS: [
        EventType("workflow.requested", "an action waits for an approval"),
        EventType("workflow.decided", "an approval was given or refused"),
    ],
    Topic.SYSTEM_SCOPES: [EventType("system-scopes.updated", "the system scopes' role mappings changed")],
    Topic.TENANTS: [
        *_crud("tenant", "a tenant", ("created", "updated", "activated", "deactivated")),
        EventType("tenant-config.updated", "a tenant's configuration changed"),
    ],
    Topic.ENVIRONMENTS: _crud("environment", "a gateway environment"),
    Topic.API_CATEGORIES: _crud("api-category", "an API category"),
    Topic.ANALYTICS: [
        EventType("request.completed", "a gateway served a request (analytics)"),
        EventType("websocket.connection.completed", "a WebSocket connection through a gateway ended"),
        EventType("sse.stream.completed", "a server-sent events stream through a gateway ended"),
        EventType("websocket.frame.throttled", "a WebSocket frame was refused by a rate limit"),
        EventType("sse.event.throttled", "a server-sent event was refused by a rate limit"),
    ],
    Topic.THROTTLE_DECISIONS: [],
    Topic.WEBHOOK_SUBSCRIPTIONS: [
        EventType(CREATED, "a WebSub subscriber's intent was verified", WebhookSubscriptionData),
        EventType(DELIVERED, "an attempt to deliver to a WebSub subscriber ended", WebhookDeliveryData),
        EventType(DELETED, "a WebSub subscriber unsubscribed or its lease ran out"),
    ],
    Topic.BOT_DETECTION: [
        EventType(RECORDED, "a call reached one of a gateway's bot traps", BotDetectionData),
    ],
}


def _schema_of(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """``model``'s JSON Schema, its nested definitions moved into ``components.schemas``."""
    schema = model.model_json_schema(ref_template=_REF, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    return schema


def _message_name(type_name: str) -> str:
    return re.sub(r"[^\w.\-]", "_", type_name)


def _payload(event: EventType | None, schemas: dict[str, Any]) -> dict[str, Any]:
    envelope = {"$ref": _REF.format(model="CloudEvent")}
    if event is None:
        return {"allOf": [envelope]}
    data: dict[str, Any] = {"type": "object", "description": event.summary}
    if event.data is not None:
        name = event.data.__name__
        schemas.setdefault(name, _schema_of(event.data, schemas))
        data = {"$ref": _REF.format(model=name)}
    return {
        "allOf": [
            envelope,
            {"type": "object", "properties": {"type": {"const": event.name}, "data": data}},
        ]
    }


def _message(event: EventType | None, topic: Topic, schemas: dict[str, Any]) -> dict[str, Any]:
    name = event.name if event is not None else f"{topic}.event"
    summary = event.summary if event is not None else f"an event on {topic}"
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": "#/components/schemas/RecordHeaders"},
        "payload": _payload(event, schemas),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the event's subject: the aggregate's id"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def document(
    *, bootstrap_servers: str, topic_prefix: str, title: str = "API Manager events"
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the platform's events, for one deployment's broker and prefix."""
    schemas: dict[str, Any] = {
        "RecordHeaders": {
            "type": "object",
            "description": "Kafka record headers (CloudEvents Kafka binding, structured mode)",
            "properties": {"content-type": {"type": "string", "const": CONTENT_TYPE}},
            "required": ["content-type"],
        }
    }
    envelope = _schema_of(CloudEvent, schemas)
    envelope["required"] = list(envelope["properties"])  # every record carries every attribute
    schemas["CloudEvent"] = envelope
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in Topic:
        events: list[EventType | None] = [*CATALOG.get(topic, [])] or [None]
        refs: dict[str, Any] = {}
        for event in events:
            key = _message_name(event.name if event is not None else f"{topic}.event")
            messages[key] = _message(event, topic, schemas)
            refs[key] = {"$ref": f"#/components/messages/{key}"}
        address = f"{topic_prefix}{topic}"
        channels[topic.value] = {
            "address": address,
            "title": topic.value,
            "description": f"The {topic.value} topic; its records are keyed by the event's subject.",
            "messages": refs,
            "bindings": {"kafka": {"topic": address, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        operations[f"receive-{topic.value}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{topic.value}"},
            "summary": f"Consume the {topic.value} topic (at least once: deduplicate by the event's id)",
            "messages": [{"$ref": f"#/channels/{topic.value}/messages/{key}"} for key in refs],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": (
                "Every change the control plane makes, and what the gateways observe, as CloudEvents 1.0"
                " on Kafka topics (structured mode: content-type application/cloudevents+json). Records"
                " are keyed by the event's subject, so one aggregate's events stay in order; delivery is"
                " at least once, so consumers deduplicate by the event's id."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": bootstrap_servers.split(",")[0].strip(),
                "protocol": "kafka",
                "description": "The deployment's Kafka bootstrap server",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def message_schema(doc: dict[str, Any], topic: str, event_type: str) -> dict[str, Any] | None:
    """The payload schema of ``event_type`` on ``topic`` in ``doc`` (resolvable against ``doc``), or
    None when the document does not list that type on that topic."""
    channel = doc["channels"].get(topic)
    if channel is None:
        return None
    for ref in channel["messages"].values():
        key = ref["$ref"].rsplit("/", 1)[-1]
        message = doc["components"]["messages"][key]
        if message["name"] in (event_type, f"{topic}.event"):
            return {"$ref": f"#/components/messages/{key}/payload"}
    return None
