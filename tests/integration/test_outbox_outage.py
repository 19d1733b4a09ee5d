"""The outbox with the broker stopped: every change's event is delivered once Kafka is back, none lost,
each applied once in effect by an idempotent consumer."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import BigInteger, Column, Integer, String, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database, new_metadata
from apim_common.events import CloudEvent, new_event
from apim_common.events.consumer import idempotent, processed_events_table
from apim_common.events.kafka import KafkaBus
from apim_common.events.outbox import OutboxRelay, emit, outbox_table
from tests.integration.conftest import CONSUMER_OPTIONS, BrokerOutage, eventually

pytestmark = pytest.mark.infra

_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = new_metadata()
# The producing service's side: its state and its outbox.
things = Table(
    "things",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
)
outbox = outbox_table(metadata)
# The consuming service's side: a replica of every applied event, in the order applied.
processed = processed_events_table(metadata)
replica = Table(
    "replica",
    metadata,
    Column("seq", _ID, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),  # not unique: a second effect would show
    Column("subject", String(36), nullable=False),
    Column("version", Integer, nullable=False),
)


@pytest.fixture(params=["postgres", "sqlite"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = request.getfixturevalue("sqlite_url")
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)  # ad-hoc schema of this test, no migrations
    yield db
    await db.dispose()


async def change(db: Database, subject: str, version: int) -> None:
    """One state change and its event, in one transaction, as a service's endpoint makes them."""
    async with db.session() as session, session.begin():
        if version == 1:
            await session.execute(insert(things).values(id=subject, version=1))
        else:
            await session.execute(update(things).where(things.c.id == subject).values(version=version))
        data = {"id": subject, "version": version}
        await emit(session, outbox, "apis", new_event("publisher", "api.updated", subject, data))


async def count(db: Database, table: Table) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(table)) or 0


async def test_no_event_is_lost_while_kafka_is_down(
    database: Database, kafka_bootstrap: str, topic_prefix: str
) -> None:
    subjects, versions = 100, 10
    if database.engine.dialect.name == "sqlite":
        subjects = 20  # the same path, smaller: SQLite serialises every write
    total = subjects * versions
    options = {"retry_delay": 0.1, "max_retry_delay": 1.0}

    async def apply(session: AsyncSession, e: CloudEvent) -> None:
        await session.execute(
            insert(replica).values(event_id=e.id, subject=e.subject, version=e.data["version"])
        )

    consumer_bus = KafkaBus(
        {"bootstrap_servers": kafka_bootstrap},
        topic_prefix=topic_prefix,
        consumer_options=CONSUMER_OPTIONS,
        **options,
    )
    consumer_bus.subscribe(
        ["apis"], f"{topic_prefix}catalog", idempotent(database, processed, "catalog", apply)
    )
    producer_bus = KafkaBus(
        {"bootstrap_servers": kafka_bootstrap},
        topic_prefix=topic_prefix,
        producer_options={"request_timeout_ms": 2000},
        **options,
    )
    relay = OutboxRelay(database, outbox, producer_bus, poll_interval=0.1, max_backoff=0.5)
    # A gateway keeps its model in memory and starts while the broker is down.
    gateway_bus = KafkaBus(
        {"bootstrap_servers": kafka_bootstrap},
        topic_prefix=topic_prefix,
        consumer_options=CONSUMER_OPTIONS,
        **options,
    )
    gateway_seen: set[str] = set()

    async def gateway(e: CloudEvent) -> None:
        gateway_seen.add(e.id)

    gateway_bus.subscribe(["apis"], f"{topic_prefix}gateway-1", gateway)
    await consumer_bus.start()
    try:
        with BrokerOutage() as outage:
            # The service and a gateway start, and the service writes, while the broker is down.
            await producer_bus.start()
            await gateway_bus.start()
            await relay.start()
            for version in range(1, versions + 1):
                for s in range(subjects):
                    await change(database, f"api-{s}", version)
                relay.wake()
            await eventually(lambda: relay.failures >= 2, timeout=10, what="the relay retried")
            assert relay.published == 0
            assert await count(database, replica) == 0
            outage.end()
        restarted = time.monotonic()
        await eventually(
            lambda: relay.published >= total, timeout=30, what=f"the relay published all {total} events"
        )

        async def all_applied() -> bool:
            return await count(database, processed) >= total

        await eventually(all_applied, timeout=30, what=f"the consumer applied all {total} events")
        await eventually(
            lambda: len(gateway_seen) >= total, timeout=30, what=f"the gateway received all {total} events"
        )
        print(f"{total} events delivered {time.monotonic() - restarted:.1f}s after the broker restarted")
    finally:
        await relay.stop()
        await producer_bus.stop()
        await gateway_bus.stop()
        await consumer_bus.stop()

    async with database.session() as session:
        sent = set((await session.scalars(select(outbox.c.event_id))).all())
        rows = (await session.execute(select(replica).order_by(replica.c.seq))).all()
        pending = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert pending == 0
    assert len(sent) == total
    assert len(rows) == total  # one effect per event, even if Kafka delivered some twice
    assert {row.event_id for row in rows} == sent
    assert gateway_seen == sent
    applied: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        applied[row.subject].append(row.version)
    assert applied == {f"api-{s}": list(range(1, versions + 1)) for s in range(subjects)}
