"""How often a Kafka consumer of the bus commits: once per fetch, after every event of it is
handled, not once per event (a broker round trip each). A fake consumer stands in for aiokafka's;
the real broker's redelivery after a lost commit is in tests/integration/test_kafka_bus.py."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from apim_common.events import CloudEvent, new_event
from apim_common.events.kafka import KafkaBus

FIRST, SECOND = TopicPartition("apis", 0), TopicPartition("apis", 1)


class OneFetch:
    """A consumer whose first fetch returns ``records``; the next one waits until cancelled."""

    def __init__(self, records: dict[TopicPartition, list[Any]]) -> None:
        self.records = records
        self.fetches = 0
        self.commits: list[dict[TopicPartition, int]] = []
        self.handled_at_commit: list[int] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        self.fetches += 1
        if self.fetches == 1:
            return self.records
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


def record(partition: TopicPartition, offset: int, n: int) -> Any:
    event = new_event("test", "thing.changed", f"api-{n}", {"n": n})
    return SimpleNamespace(
        topic=partition.topic, partition=partition.partition, offset=offset, value=event.to_json()
    )


async def test_a_fetch_of_many_events_is_committed_once_after_all_are_handled() -> None:
    consumer = OneFetch({FIRST: [record(FIRST, 10 + n, n) for n in range(3)], SECOND: [record(SECOND, 7, 3)]})
    handled: list[int] = []

    async def handler(event: CloudEvent) -> None:
        assert consumer.commits == []  # nothing is committed before the fetch's last event is handled
        handled.append(event.data["n"])

    bus = KafkaBus({"bootstrap_servers": "unused:9092"}, retry_delay=0.01)
    task = asyncio.create_task(bus._consume(consumer, "group", handler))  # type: ignore[arg-type]
    while consumer.fetches < 2:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert handled == [0, 1, 2, 3]
    assert consumer.commits == [{FIRST: 13, SECOND: 8}]
