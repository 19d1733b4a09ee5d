"""No secret reaches an event: backend credentials, client secrets, signing secrets, passwords and
keys sent or handed out in a broad scenario (tests/support/event_scenario.py) appear in no event's
data, in clear or encoded."""

from __future__ import annotations

import base64

import pytest

from tests.support.event_scenario import Scenario, scenario


@pytest.fixture(scope="module")
def recorded() -> Scenario:
    return scenario()


def test_the_scenario_produces_every_kind_of_event_it_drives(recorded: Scenario) -> None:
    types = {event.type for _, event in recorded.events}
    for expected in (
        "key-manager.created",
        "tenant.created",
        "api.created",
        "deployment.deployed",
        "key-mapping.created",
        "token.revoked",
    ):
        assert expected in types, sorted(types)


def test_no_event_carries_a_secret_of_the_scenario(recorded: Scenario) -> None:
    leaks = []
    for topic, event in recorded.events:
        text = event.model_dump_json()
        for what, secret in recorded.secrets.items():
            encoded = base64.b64encode(secret.encode()).decode()
            if secret in text or encoded in text:
                leaks.append(f"{what} in {event.type} on {topic}")
    assert not leaks, leaks
