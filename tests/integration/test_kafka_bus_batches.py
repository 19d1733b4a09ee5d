"""KafkaBus batch subscriptions on the real broker: a run is committed only once its handler returned."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from apim_common.events import CloudEvent
from tests.integration.conftest import eventually
from tests.integration.test_kafka_bus import bus, event

pytestmark = pytest.mark.infra


async def test_a_batch_subscriber_gets_runs_and_resumes_after_the_last_committed_run(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    producer = bus(kafka_bootstrap, topic_prefix)
    await producer.start()
    try:
        for n in range(30):
            await producer.publish("analytics", event(f"api-{n % 3}", n))
    finally:
        await producer.stop()

    first: list[list[int]] = []

    async def stop_after_first_run(events: Sequence[CloudEvent]) -> None:
        if first:
            raise RuntimeError("crashed before the second run was stored")
        first.append([e.data["n"] for e in events])

    consumer = bus(kafka_bootstrap, topic_prefix)
    consumer.subscribe_batch(["analytics"], "store", stop_after_first_run, max_events=10)
    await consumer.start()
    await eventually(lambda: bool(first), timeout=20, what="a first run")
    await consumer.stop()
    assert 0 < len(first[0]) <= 10

    rest: list[int] = []

    async def collect(events: Sequence[CloudEvent]) -> None:
        rest.extend(e.data["n"] for e in events)

    restarted = bus(kafka_bootstrap, topic_prefix)
    restarted.subscribe_batch(["analytics"], "store", collect, max_events=10)
    await restarted.start()
    try:
        await eventually(lambda: len(rest) >= 30 - len(first[0]), timeout=20, what="the remaining events")
    finally:
        await restarted.stop()
    assert sorted(first[0] + rest) == list(range(30))
