"""KafkaBus.publish_many on the real broker: a batch handed over at once arrives whole, in order."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from apim_common.events import CloudEvent
from tests.integration.conftest import eventually
from tests.integration.test_kafka_bus import bus, event

pytestmark = pytest.mark.infra


async def test_a_batch_published_in_one_call_arrives_whole_and_in_order_per_subject(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    producer = bus(kafka_bootstrap, topic_prefix)
    await producer.start()
    try:
        await producer.publish_many("analytics", [event(f"api-{n % 2}", n) for n in range(40)])
    finally:
        await producer.stop()
    received: list[CloudEvent] = []

    async def collect(events: Sequence[CloudEvent]) -> None:
        received.extend(events)

    consumer = bus(kafka_bootstrap, topic_prefix)
    consumer.subscribe_batch(["analytics"], "store", collect, max_events=100)
    await consumer.start()
    try:
        await eventually(lambda: len(received) >= 40, timeout=20, what="the published batch")
    finally:
        await consumer.stop()
    assert [e.data["n"] for e in received if e.subject == "api-0"] == list(range(0, 40, 2))
    assert [e.data["n"] for e in received if e.subject == "api-1"] == list(range(1, 40, 2))
