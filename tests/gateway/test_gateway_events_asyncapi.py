"""The gateway's analytics events are true to the platform's AsyncAPI document: a response event and
a fault event, as a call produces them, are valid against ``request.completed``'s own data schema."""

from __future__ import annotations

import asyncio

from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from apim_common.events.asyncapi import document, message_schema
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness


async def test_response_and_fault_events_are_valid_against_the_document(harness: Harness) -> None:
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        seen.append(event)

    harness.bus.subscribe([str(Topic.ANALYTICS)], "asyncapi-check", collect)
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).status_code == 200
    assert (await harness.client.get("/pets/1.0.0/echo/1")).status_code == 401
    for _ in range(200):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.01)
    assert [event.data["eventType"] for event in seen] == ["response", "fault"]
    doc = document(bootstrap_servers="kafka:9092", topic_prefix="apim.")
    schema = message_schema(doc, str(Topic.ANALYTICS), "request.completed")
    assert schema is not None
    validator = Draft7Validator({**doc, **schema})
    for event in seen:
        assert [e.message for e in validator.iter_errors(event.model_dump(mode="json"))] == []
    broken = seen[0].model_dump(mode="json")
    broken["data"]["responseLatency"] = "fast"
    assert list(validator.iter_errors(broken))
