"""KafkaBus on the real broker: keyed, broadcast to every group, resumable, harmless to redeliver."""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.events import CloudEvent, new_event
from apim_common.events.consumer import idempotent, processed_events_table
from apim_common.events.kafka import KafkaBus
from tests.integration.conftest import CONSUMER_OPTIONS, BrokerOutage, eventually

pytestmark = pytest.mark.infra


def bus(bootstrap: str, prefix: str) -> KafkaBus:
    return KafkaBus(
        {"bootstrap_servers": bootstrap},
        topic_prefix=prefix,
        consumer_options=CONSUMER_OPTIONS,
        retry_delay=0.1,
        max_retry_delay=1.0,
    )


def event(subject: str, n: int) -> CloudEvent:
    return new_event("test", "thing.changed", subject, {"n": n})


async def test_events_are_keyed_by_subject(kafka_bootstrap: str, topic_prefix: str) -> None:
    producer = bus(kafka_bootstrap, topic_prefix)
    await producer.start()
    sent = [event(f"api-{n % 4}", n) for n in range(20)]
    try:
        for e in sent:
            await producer.publish("apis", e)
    finally:
        await producer.stop()

    reader = AIOKafkaConsumer(
        producer.topic("apis"),
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topic_prefix}reader",
        auto_offset_reset="earliest",
        **CONSUMER_OPTIONS,
    )
    await reader.start()
    partitions: dict[str, set[int]] = defaultdict(set)
    try:
        for _ in sent:
            message = await reader.getone()
            e = CloudEvent.from_json(message.value)
            assert message.key == e.subject.encode()
            partitions[e.subject].add(message.partition)
    finally:
        await reader.stop()
    # One aggregate, one partition: its events keep their order.
    assert {subject: len(p) for subject, p in partitions.items()} == {f"api-{n}": 1 for n in range(4)}


async def test_every_consumer_group_receives_every_event_in_subject_order(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    consumers = bus(kafka_bootstrap, topic_prefix)
    received: dict[str, list[CloudEvent]] = {"gateway-1": [], "gateway-2": []}
    for group, events in received.items():

        async def handler(e: CloudEvent, events: list[CloudEvent] = events) -> None:
            events.append(e)

        consumers.subscribe(["apis"], f"{topic_prefix}{group}", handler)
    producer = bus(kafka_bootstrap, topic_prefix)
    await consumers.start()
    await producer.start()
    try:
        sent = [event(f"api-{n % 5}", n) for n in range(50)]
        for e in sent:
            await producer.publish("apis", e)
        await eventually(
            lambda: all(len(events) >= len(sent) for events in received.values()),
            timeout=20,
            what="both groups received every event",
        )
    finally:
        await producer.stop()
        await consumers.stop()
    for events in received.values():
        assert sorted(e.id for e in events) == sorted(e.id for e in sent)
        for subject in {e.subject for e in sent}:
            assert [e.data["n"] for e in events if e.subject == subject] == [
                e.data["n"] for e in sent if e.subject == subject
            ]


async def test_a_restarted_consumer_resumes_after_its_committed_offset(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    producer = bus(kafka_bootstrap, topic_prefix)
    await producer.start()
    group = f"{topic_prefix}devportal"
    received: list[int] = []

    async def handler(e: CloudEvent) -> None:
        received.append(e.data["n"])

    # One subject, so one partition: a redelivered old event would arrive before the new ones.
    try:
        first = bus(kafka_bootstrap, topic_prefix)
        first.subscribe(["apis"], group, handler)
        await first.start()
        try:
            for n in range(5):
                await producer.publish("apis", event("api-1", n))
            await eventually(lambda: len(received) >= 5, timeout=20, what="the first 5 events")
        finally:
            await first.stop()

        for n in range(5, 10):
            await producer.publish("apis", event("api-1", n))
        second = bus(kafka_bootstrap, topic_prefix)
        second.subscribe(["apis"], group, handler)
        await second.start()
        try:
            await eventually(lambda: 9 in received, timeout=20, what="the events published while stopped")
        finally:
            await second.stop()
    finally:
        await producer.stop()
    assert received == list(range(10))


metadata = MetaData()
processed = processed_events_table(metadata)
counters = Table("counters", metadata, Column("name", String(50), primary_key=True), Column("value", Integer))


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)  # ad-hoc consumer schema, no migrations
        await conn.execute(counters.insert().values(name="published", value=0))
    yield db
    await db.dispose()


async def test_a_redelivered_event_has_no_second_effect(
    kafka_bootstrap: str, topic_prefix: str, database: Database
) -> None:
    deliveries: list[str] = []

    async def count(session: AsyncSession, e: CloudEvent) -> None:
        await session.execute(
            update(counters).where(counters.c.name == "published").values(value=counters.c.value + 1)
        )

    apply = idempotent(database, processed, "devportal-catalog", count)

    async def handler(e: CloudEvent) -> None:
        deliveries.append(e.id)
        await apply(e)

    consumers = bus(kafka_bootstrap, topic_prefix)
    consumers.subscribe(["apis"], f"{topic_prefix}catalog", handler)
    producer = bus(kafka_bootstrap, topic_prefix)
    await consumers.start()
    await producer.start()
    once, twice = event("api-1", 1), event("api-2", 2)
    try:
        # A relay that published and crashed before marking its row publishes the event again.
        for e in (twice, once, twice):
            await producer.publish("apis", e)
        await eventually(lambda: len(deliveries) >= 3, timeout=20, what="three deliveries")
    finally:
        await producer.stop()
        await consumers.stop()
    assert sorted(deliveries) == sorted([once.id, twice.id, twice.id])
    async with database.session() as session:
        assert await session.scalar(select(counters.c.value)) == 2


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_the_bus_starts_without_kafka_and_publish_fails_instead(topic_prefix: str) -> None:
    nowhere = f"127.0.0.1:{unused_port()}"
    offline = bus(nowhere, topic_prefix)
    received: list[CloudEvent] = []

    async def handler(e: CloudEvent) -> None:
        received.append(e)

    offline.subscribe(["apis"], f"{topic_prefix}g", handler)
    await offline.start()
    try:
        # The caller (the outbox relay) keeps the event and retries.
        with pytest.raises(KafkaError):
            await offline.publish("apis", event("api-1", 1))
        with pytest.raises(KafkaError):
            await offline.publish("apis", event("api-1", 2))
    finally:
        await offline.stop()
    assert received == []


async def test_a_consumer_that_lost_its_partitions_mid_event_keeps_consuming(
    kafka_bootstrap: str, topic_prefix: str, database: Database
) -> None:
    deliveries: list[int] = []
    slow_once = asyncio.Event()

    async def count(session: AsyncSession, e: CloudEvent) -> None:
        await session.execute(
            update(counters).where(counters.c.name == "published").values(value=counters.c.value + 1)
        )

    apply = idempotent(database, processed, "devportal-catalog", count)

    async def handler(e: CloudEvent) -> None:
        deliveries.append(e.data["n"])
        if not slow_once.is_set():
            slow_once.set()
            # Longer than max_poll_interval_ms: the group moves on and this offset cannot be committed.
            await asyncio.sleep(2.5)
        await apply(e)

    consumers = KafkaBus(
        {"bootstrap_servers": kafka_bootstrap},
        topic_prefix=topic_prefix,
        consumer_options={**CONSUMER_OPTIONS, "max_poll_interval_ms": 1000},
        retry_delay=0.1,
        max_retry_delay=1.0,
    )
    consumers.subscribe(["apis"], f"{topic_prefix}catalog", handler)
    producer = bus(kafka_bootstrap, topic_prefix)
    await consumers.start()
    await producer.start()
    try:
        for n in (1, 2):
            await producer.publish("apis", event("api-1", n))

        async def both_applied() -> bool:
            async with database.session() as session:
                return await session.scalar(select(counters.c.value)) == 2

        # Applied, not only delivered: stopping the consumers while it is applied would cancel it.
        await eventually(both_applied, timeout=20, what="the event after the slow one applied")
    finally:
        await producer.stop()
        await consumers.stop()
    assert deliveries[0] == 1
    assert 2 in deliveries


async def test_a_group_that_rejoins_after_a_broker_restart_calls_its_reconnect_hook(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    received: list[int] = []
    reconnects: list[float] = []

    async def handler(e: CloudEvent) -> None:
        received.append(e.data["n"])

    consumer = bus(kafka_bootstrap, topic_prefix)
    consumer.subscribe(["apis"], f"{topic_prefix}gateway", handler, on_reconnect=lambda: reconnects.append(1))
    producer = bus(kafka_bootstrap, topic_prefix)
    await consumer.start()
    await producer.start()
    try:
        await producer.publish("apis", event("api-1", 1))
        await eventually(lambda: received == [1], timeout=20, what="the first event")
        assert reconnects == []  # the first assignment is the start, not a reconnect
        with BrokerOutage():
            await asyncio.sleep(1)
        await eventually(lambda: bool(reconnects), timeout=40, what="the reconnect hook after the restart")
    finally:
        await producer.stop()
        await consumer.stop()
