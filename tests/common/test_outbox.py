"""The outbox on SQLite: events leave only with their transaction, and go out exactly in order."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, String, Table, func, insert, select

from apim_common.db import Database, new_metadata
from apim_common.events import CloudEvent, InProcessBus, new_event
from apim_common.events.consumer import idempotent, processed_events_table
from apim_common.events.outbox import OutboxRelay, emit, outbox_table

metadata = new_metadata()
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
outbox = outbox_table(metadata)
processed = processed_events_table(metadata)


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)  # unit test: no migrations for this ad-hoc schema
    yield db
    await db.dispose()


async def change(db: Database, n: int, *, fail: bool = False) -> None:
    async with db.session() as session, session.begin():
        await session.execute(insert(things).values(id=n, name=f"thing {n}"))
        await emit(session, outbox, "apis", new_event("test", "thing.created", f"thing-{n}", {"n": n}))
        if fail:
            raise RuntimeError("the change fails after its event was written")


async def test_a_rolled_back_change_leaves_no_event(database: Database) -> None:
    with pytest.raises(RuntimeError):
        await change(database, 1, fail=True)
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0


async def test_the_relay_publishes_in_order_and_marks_rows(database: Database) -> None:
    bus = InProcessBus()
    received: list[int] = []

    async def handler(e: CloudEvent) -> None:
        received.append(e.data["n"])

    bus.subscribe(["apis"], "g", handler)
    await bus.start()
    for n in range(1, 26):
        await change(database, n)
    relay = OutboxRelay(database, outbox, bus, batch_size=10)
    while await relay.publish_pending():
        pass
    await bus.drain()
    await bus.stop()
    assert received == list(range(1, 26))
    async with database.session() as session:
        pending = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert pending == 0


async def test_an_idempotent_consumer_applies_a_redelivered_event_once(database: Database) -> None:
    applied: list[str] = []

    async def apply(session: object, e: CloudEvent) -> None:
        applied.append(e.id)

    handler = idempotent(database, processed, "devportal-catalog", apply)
    e = new_event("test", "api.published", "api-1", {})
    await handler(e)
    await handler(e)
    assert applied == [e.id]


async def test_a_failed_consumer_does_not_remember_the_event(database: Database) -> None:
    attempts: list[str] = []

    async def apply(session: object, e: CloudEvent) -> None:
        attempts.append(e.id)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    handler = idempotent(database, processed, "c", apply)
    e = new_event("test", "api.published", "api-1", {})
    with pytest.raises(RuntimeError):
        await handler(e)
    await handler(e)
    await handler(e)
    assert attempts == [e.id, e.id]


async def test_a_wake_up_during_a_round_that_found_nothing_is_not_lost(database: Database) -> None:
    """A change committed while the relay finishes an empty round goes out at once, not at the next poll."""
    relay = OutboxRelay(database, outbox, InProcessBus(), poll_interval=30.0)
    rounds: list[int] = []
    second_round = asyncio.Event()

    async def publish_pending() -> int:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 1:
            relay.wake()  # a commit lands after this round looked for rows
        else:
            second_round.set()
        return 0

    relay.publish_pending = publish_pending  # type: ignore[method-assign]
    await relay.start()
    try:
        await asyncio.wait_for(second_round.wait(), timeout=5)
    finally:
        await relay.stop()
    assert rounds == [1, 2]


async def test_a_relay_stopped_as_a_commit_wakes_it_stops(database: Database) -> None:
    """The stop's cancellation lands in the same loop turn as the wake-up: on Python 3.11,
    asyncio.wait_for returns the finished wait and drops the cancellation, and the relay ran on
    while the app waited for it to stop (the app's shutdown hung)."""
    bus = InProcessBus()
    relay = OutboxRelay(database, outbox, bus, poll_interval=60)
    await relay.start()
    await asyncio.sleep(0.1)  # the relay found nothing and waits for a wake-up
    relay.wake()
    async with asyncio.timeout(5):
        await relay.stop()
