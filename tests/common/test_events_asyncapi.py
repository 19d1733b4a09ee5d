"""The platform's AsyncAPI 3.0 document of its own events: valid against the official schema, served
by the Publisher with every producer's event types, each type's data validated against its own
schema for every event a broad scenario produces (tests/support/event_scenario.py), each service's
shipped schemas current, and importable into the platform itself as an API."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from jsonschema import Draft7Validator  # type: ignore[import-untyped]

from apim_common.events import Topic
from apim_common.events.asyncapi import (
    PRODUCERS,
    contribution,
    document,
    message_schema,
    rendered,
    schemas_file,
)
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


def test_each_producer_ships_the_schemas_of_its_current_catalog() -> None:
    stale = []
    for producer, package in PRODUCERS.items():
        catalog = importlib.import_module(f"{package}.event_catalog").CATALOG
        path = schemas_file(package)
        assert path is not None, package
        if not path.is_file() or path.read_text() != rendered(contribution(producer, catalog)):
            stale.append(str(path))
    assert not stale, f"stale, run `make asyncapi-schemas`: {stale}"


# Calls that emit an event, and what an event type looks like in them.
EMITTING_CALLS = {
    "announce",
    "announce_change",
    "announce_mapping",
    "_announce",
    "record",
    "new_event",
    "event_type",
}
EVENT_TYPE = re.compile(r"^[a-z]+(?:-[a-z]+)*\.[a-z]+(?:[.-][a-z]+)*$")
SERVICES = Path(__file__).resolve().parents[2] / "services"


def _emitted(package: str) -> set[str]:
    """The event types ``package``'s code emits by a literal (an f-string's ``noun.`` as ``noun.*``)."""
    found = set()
    for path in SERVICES.glob(f"*/{package}/**/*.py"):
        text = path.read_text()
        if (
            "announce" not in text
            and "record(" not in text
            and "new_event(" not in text
            and "event_type(" not in text
        ):
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in EMITTING_CALLS:
                continue
            for arg in node.args:
                if (
                    isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                    and EVENT_TYPE.match(arg.value)
                ):
                    found.add(arg.value)
                elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                    prefix = str(arg.values[0].value)
                    if prefix.endswith(".") and EVENT_TYPE.match(prefix + "x"):
                        found.add(prefix + "*")
    return found


def test_every_event_type_a_service_emits_is_declared_in_its_catalog() -> None:
    undeclared, emitted = [], 0
    for package in PRODUCERS.values():
        catalog = importlib.import_module(f"{package}.event_catalog").CATALOG
        declared = {event.name for events in catalog.values() for event in events}
        for type_name in _emitted(package):
            emitted += 1
            prefix = type_name.removesuffix("*")
            if not any(
                d == type_name or (type_name.endswith("*") and d.startswith(prefix)) for d in declared
            ):
                undeclared.append(f"{package}: {type_name}")
    assert not undeclared, undeclared
    assert emitted >= 25


def test_the_served_document_lists_every_type_every_producer_declares(served: dict[str, Any]) -> None:
    declared = {
        (str(topic), event.name)
        for package in PRODUCERS.values()
        for topic, events in importlib.import_module(f"{package}.event_catalog").CATALOG.items()
        for event in events
    }
    listed = {
        (topic, served["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]["name"])
        for topic, channel in served["channels"].items()
        for ref in channel["messages"].values()
    }
    assert listed == declared
    assert ("analytics", "request.completed") in listed  # a gateway's, which the publisher cannot import


def test_every_event_type_has_a_schema_of_its_own_data(served: dict[str, Any]) -> None:
    schemas, loose = served["components"]["schemas"], []
    for key, message in served["components"]["messages"].items():
        data = message["payload"]["allOf"][1]["properties"]["data"]
        for ref in data.get("anyOf", [data]):
            schema = schemas.get(ref.get("$ref", "").rsplit("/", 1)[-1], {})
            if not schema.get("properties") or not schema.get("required"):
                loose.append(key)  # a model's fields, never a bare object
    assert not loose, loose


def test_a_type_two_producers_send_from_one_shared_model_has_one_data_schema(
    served: dict[str, Any],
) -> None:
    for type_name, model in (
        ("token.revoked", "TokenRevokedData"),
        ("workflow.requested", "WorkflowRequestedData"),
    ):
        payload = served["components"]["messages"][type_name]["payload"]
        assert payload["allOf"][1]["properties"]["data"] == {"$ref": f"#/components/schemas/{model}"}


def test_two_producers_shipping_different_schemas_under_one_name_are_refused() -> None:
    def shipped(producer: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"producer": producer, "events": [], "schemas": {"TokenRevokedData": schema}}

    with pytest.raises(ValueError, match="TokenRevokedData"):
        document(
            bootstrap_servers="kafka:9092",
            topic_prefix="apim.",
            contributions=[shipped("a", {"type": "object"}), shipped("b", {"type": "string"})],
        )


def test_data_that_breaks_its_own_type_schema_is_caught(served: dict[str, Any]) -> None:
    schema = message_schema(served, "api-categories", "api-category.created")
    assert schema is not None
    event = {
        "id": "1",
        "source": "/api/am/admin/v4",
        "type": "api-category.created",
        "specversion": "1.0",
        "time": "2026-01-01T00:00:00Z",
        "subject": "c-1",
        "datacontenttype": "application/json",
        "tenant": "carbon.super",
        "data": {"id": "c-1", "name": "Food"},
    }
    validator = Draft7Validator({**served, **schema})
    assert list(validator.iter_errors(event)) == []
    broken = {**event, "data": {"name": 5}}  # no id, a name that is not a string
    assert len(list(validator.iter_errors(broken))) >= 1
    assert message_schema(served, "api-categories", "api-category.archived") is None


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
