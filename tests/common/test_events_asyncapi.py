"""The platform's AsyncAPI 3.0 document of its own events: valid against the official schema, served
by the Publisher, true to every event a broad scenario produces (tests/support/event_scenario.py),
and importable into the platform itself as an API."""

from __future__ import annotations

from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from apim_common.events import Topic
from apim_common.events.asyncapi import document, message_schema
from apim_publisher.asyncapi.document import problems
from tests.support.event_scenario import Scenario, scenario


@pytest.fixture(scope="module")
def recorded() -> Scenario:
    return scenario()


@pytest.fixture(scope="module")
def served(recorded: Scenario) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(recorded.asyncapi_yaml)
    return doc


def test_the_served_document_is_valid_asyncapi_3(served: dict[str, Any]) -> None:
    assert served["asyncapi"] == "3.0.0"
    assert problems(served) == []


def test_the_document_needs_a_token_with_a_publisher_scope(recorded: Scenario) -> None:
    assert recorded.asyncapi_refused == (401, 403)


def test_every_topic_is_a_channel_at_its_prefixed_address_keyed_by_subject(served: dict[str, Any]) -> None:
    prefix = "apim."  # the standalone platform's default
    assert {name: c["address"] for name, c in served["channels"].items()} == {
        str(t): f"{prefix}{t}" for t in Topic
    }
    for message in served["components"]["messages"].values():
        assert message["contentType"] == "application/cloudevents+json"
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
    assert {op["action"] for op in served["operations"].values()} == {"receive"}


def test_every_event_of_the_scenario_is_described_and_valid_against_the_document(
    recorded: Scenario, served: dict[str, Any]
) -> None:
    checked, wrong = set(), []
    for topic, event in recorded.events:
        schema = message_schema(served, str(topic), event.type)
        if schema is None:
            wrong.append(f"{event.type} on {topic} is not in the document")
            continue
        validator = Draft7Validator({**served, **schema})
        payload = event.model_dump(mode="json")
        wrong.extend(f"{event.type}: {e.message}" for e in validator.iter_errors(payload))
        checked.add(event.type)
    assert not wrong, wrong
    assert len(checked) >= 10, sorted(checked)


def test_an_event_that_breaks_its_schema_is_caught(served: dict[str, Any]) -> None:
    schema = message_schema(served, "webhook-subscriptions", "webhook-subscription.delivered")
    assert schema is not None
    bad = {
        "id": "1",
        "source": "/gateway",
        "type": "webhook-subscription.delivered",
        "specversion": "1.0",
        "time": "2026-01-01T00:00:00Z",
        "subject": "s-1",
        "datacontenttype": "application/json",
        "tenant": "carbon.super",
        "data": {"subscriptionId": "s-1", "deliveredAt": "2026-01-01T00:00:00Z", "outcome": "LOST"},
    }
    assert list(Draft7Validator({**served, **schema}).iter_errors(bad))
    assert message_schema(served, "apis", "no-such.event") is None


def test_the_document_follows_the_deployment_broker_and_prefix() -> None:
    doc = document(bootstrap_servers="kafka-1:9093,kafka-2:9093", topic_prefix="prod.")
    assert doc["servers"]["kafka"] == {
        "host": "kafka-1:9093",
        "protocol": "kafka",
        "description": "The deployment's Kafka bootstrap server",
    }
    assert doc["channels"]["keys"]["address"] == "prod.keys"


def test_the_platform_imports_its_own_events_as_an_async_api(
    recorded: Scenario, served: dict[str, Any]
) -> None:
    api = recorded.imported
    assert (api["type"], api["context"], api["name"]) == ("ASYNC", "/platform-events", "API Manager events")
    assert sorted(op["target"] for op in api["operations"]) == sorted(
        f"/{c['address']}" for c in served["channels"].values()
    )
