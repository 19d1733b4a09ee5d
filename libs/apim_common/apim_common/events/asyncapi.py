"""The platform's own events as an AsyncAPI 3.0 document: every topic, event type, key and payload.

Each service that produces events declares them in its ``event_catalog.CATALOG`` (topic -> event
types, each with the pydantic model its ``data`` is made from), and ships that catalog's JSON Schema
as ``event_schemas.json`` beside its code (``contribution``; ``make asyncapi-schemas`` regenerates
the files and tests/common/test_events_asyncapi.py checks they are current). The document is built
from those files (``shipped``), so the Publisher describes every producer's events without
importing another service, in one process or in many.

One channel per ``Topic`` (its address is the deployment's prefix plus the topic's name), one
``receive`` operation per channel (what a consumer does), and one message per event type. Every
message is a CloudEvents 1.0 record in the Kafka binding's structured mode: the
``content-type: application/cloudevents+json`` header, the event's subject as the record key (so
one aggregate's events keep their order), and the envelope as the value. The envelope's schema is
generated from ``CloudEvent``; each type's ``data`` is its producer's model (``anyOf`` them when
two producers send one type with different models).

The Publisher serves the document at ``GET /api/am/publisher/v4/events/asyncapi.yaml``;
tests/common/test_events_asyncapi.py validates it against the official AsyncAPI 3.0 schema and
every event of a broad scenario against its own type's schema.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from apim_common.events.envelope import CloudEvent
from apim_common.events.kafka import STRUCTURED_CONTENT_TYPE
from apim_common.events.topics import Topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CONTENT_TYPE = STRUCTURED_CONTENT_TYPE.decode()
_REF = "#/components/schemas/{model}"
# The file, beside a producer's package, holding its ``contribution``.
SCHEMAS_FILE = "event_schemas.json"
# Every package that produces events, by the short name that prefixes its schemas.
PRODUCERS: dict[str, str] = {
    "publisher": "apim_publisher",
    "devportal": "apim_devportal",
    "admin": "apim_admin",
    "key-manager": "apim_key_manager",
    "gateway": "apim_gateway",
}


@dataclass(frozen=True)
class EventType:
    name: str
    summary: str
    # The model the event's ``data`` is made from (or, for data built field by field on a hot path,
    # the model that states those fields).
    data: type[BaseModel]


Catalog = Mapping[Topic, Sequence[EventType]]


def crud(
    noun: str,
    what: str,
    data: type[BaseModel],
    actions: tuple[str, ...] = ("created", "updated", "deleted"),
) -> list[EventType]:
    """``{noun}.created|updated|deleted`` whose data is ``what`` as its REST view shows it."""
    return [
        EventType(f"{noun}.{action}", f"{what} was {action}; data is {what} as its REST view shows it", data)
        for action in actions
    ]


def contribution(producer: str, catalog: Catalog) -> dict[str, Any]:
    """What ``producer`` ships in its ``SCHEMAS_FILE``: its event types by topic, and the JSON
    Schema of their data. A service's own models are named ``{producer}.{Model}``, so that
    producers never clash; the shared models of ``apim_common`` keep their name, so that two
    producers of one type (``token.revoked``) describe its data with one schema."""
    models = list(dict.fromkeys(event.data for events in catalog.values() for event in events))
    refs: dict[object, Any] = {}
    schemas: dict[str, Any] = {}
    for prefix, group in (
        ("", [model for model in models if _shared(model)]),
        (f"{producer}.", [model for model in models if not _shared(model)]),
    ):
        if not group:
            continue
        group_refs, definitions = models_json_schema(
            [(model, "serialization") for model in group],
            ref_template=_REF.format(model=f"{prefix}{{model}}"),
        )
        refs.update({model: ref for (model, _), ref in group_refs.items()})
        schemas.update({f"{prefix}{name}": schema for name, schema in definitions.get("$defs", {}).items()})
    events = [
        {"topic": str(topic), "type": event.name, "summary": event.summary, "data": refs[event.data]}
        for topic, topic_events in catalog.items()
        for event in topic_events
    ]
    return {"producer": producer, "events": events, "schemas": dict(sorted(schemas.items()))}


def _shared(model: type[BaseModel]) -> bool:
    return model.__module__.startswith("apim_common.")


def rendered(contributed: Mapping[str, Any]) -> str:
    """A contribution as its ``SCHEMAS_FILE`` holds it (stable, so a stale file shows in a diff)."""
    return json.dumps(contributed, indent=1, ensure_ascii=False) + "\n"


def schemas_file(package: str) -> Path | None:
    """Where ``package`` keeps its ``SCHEMAS_FILE``, found without importing the package; None when
    the package is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / SCHEMAS_FILE


def shipped(producers: Iterable[str] = PRODUCERS.values()) -> list[dict[str, Any]]:
    """The contributions of the installed producers."""
    found = []
    for package in producers:
        path = schemas_file(package)
        if path is not None and path.is_file():
            found.append(json.loads(path.read_text()))
    return found


def _schema_of(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """``model``'s JSON Schema, its nested definitions moved into ``components.schemas``."""
    schema = model.model_json_schema(ref_template=_REF, mode="serialization")
    schemas.update(schema.pop("$defs", {}))
    return schema


def _message_name(type_name: str) -> str:
    return re.sub(r"[^\w.\-]", "_", type_name)


@dataclass
class _Message:
    type: str
    summaries: list[str]
    data: list[dict[str, Any]]
    topics: list[str]


def _gather(
    contributions: Sequence[Mapping[str, Any]], schemas: dict[str, Any]
) -> dict[tuple[str, str], _Message]:
    """Every (topic, type) any producer declares, with each distinct data schema once."""
    messages: dict[tuple[str, str], _Message] = {}
    for contributed in contributions:
        for name, schema in contributed["schemas"].items():
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two producers ship different schemas named {name}")
        for event in contributed["events"]:
            message = messages.setdefault(
                (event["topic"], event["type"]), _Message(event["type"], [], [], [event["topic"]])
            )
            if event["summary"] not in message.summaries:
                message.summaries.append(event["summary"])
            if event["data"] not in message.data:
                message.data.append(event["data"])
    return messages


def _message(message: _Message) -> dict[str, Any]:
    data = message.data[0] if len(message.data) == 1 else {"anyOf": message.data}
    summary = "; or ".join(message.summaries)
    return {
        "name": message.type,
        "title": message.type,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": "#/components/schemas/RecordHeaders"},
        "payload": {
            "allOf": [
                {"$ref": _REF.format(model="CloudEvent")},
                {
                    "type": "object",
                    "properties": {"type": {"const": message.type}, "data": data},
                    "required": ["type", "data"],
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the event's subject: the aggregate's id"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def document(
    *,
    bootstrap_servers: str,
    topic_prefix: str,
    title: str = "API Manager events",
    contributions: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the platform's events, for one deployment's broker and prefix,
    from ``contributions`` (by default what the installed producers ship)."""
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
    gathered = _gather(shipped() if contributions is None else contributions, schemas)
    on_topics: dict[str, set[str]] = {}
    for topic, type_name in gathered:
        on_topics.setdefault(type_name, set()).add(topic)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in Topic:
        refs: dict[str, Any] = {}
        for (on, type_name), message in sorted(gathered.items()):
            if on != topic:
                continue
            # A type sent on two topics (with different data) is one message per topic.
            key = _message_name(type_name if len(on_topics[type_name]) == 1 else f"{topic}.{type_name}")
            messages[key] = _message(message)
            refs[key] = {"$ref": f"#/components/messages/{key}"}
        address = f"{topic_prefix}{topic}"
        channels[topic.value] = {
            "address": address,
            "title": topic.value,
            "description": f"The {topic.value} topic; its records are keyed by the event's subject."
            + ("" if refs else " No event is produced on it yet."),
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
        if doc["components"]["messages"][key]["name"] == event_type:
            return {"$ref": f"#/components/messages/{key}/payload"}
    return None
