"""Transactional outbox: an event row is written in the same transaction as the change it
describes; a relay publishes rows in order and marks them, so nothing is lost while the bus is
down (delivered later, at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database, is_sqlite
from apim_common.events.bus import EventBus
from apim_common.events.envelope import CloudEvent
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_ID = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", _ID, primary_key=True, autoincrement=True),
        Column("topic", String(100), nullable=False),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("payload", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


async def emit(session: AsyncSession, table: Table, topic: str, event: CloudEvent) -> None:
    """Record ``event`` for ``topic`` in the caller's transaction."""
    await session.execute(
        insert(table).values(
            topic=str(topic),
            event_id=event.id,
            payload=event.model_dump(mode="json"),
            created_at=datetime.now(UTC),
        )
    )
    session.info["outbox_written"] = True


class OutboxRelay:
    """Publishes unpublished outbox rows in id order; one per service process."""

    def __init__(
        self,
        database: Database,
        table: Table,
        bus: EventBus,
        *,
        poll_interval: float = 0.5,
        batch_size: int = 200,
        retention: timedelta = timedelta(hours=1),
        max_backoff: float = 10.0,
    ) -> None:
        self._database = database
        self._table = table
        self._bus = bus
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._retention = retention
        self._max_backoff = max_backoff
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        # Failed publishing rounds since start (the bus or the database was unreachable).
        self.failures = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        backoff = self._poll_interval
        last_prune = datetime.now(UTC)
        while True:
            # Cleared before looking for rows, never after: a wake-up from a commit made while a
            # round runs must survive that round, or its event would wait for the next poll.
            self._wakeup.clear()
            try:
                sent = await self.publish_pending()
                backoff = self._poll_interval
                if datetime.now(UTC) - last_prune > timedelta(minutes=5):
                    await self.prune()
                    last_prune = datetime.now(UTC)
                if sent:
                    continue  # more may be waiting
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                logger.warning("outbox relay could not publish; retrying in %.1fs", backoff, exc_info=True)
                backoff = min(backoff * 2, self._max_backoff)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns a wait that finished
            # in the turn the stop's cancellation arrived, dropping it, and the relay never ends.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._wakeup.wait()

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published."""
        t = self._table
        async with self._database.session() as session:
            query = (
                select(t.c.id, t.c.topic, t.c.payload)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self._batch_size)
            )
            if not is_sqlite(self._database.engine):
                # Several replicas of a service share the table; each row goes out through one.
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            done: list[int] = []
            try:
                for row in rows:
                    payload: dict[str, Any] = row.payload
                    await self._bus.publish(row.topic, CloudEvent.model_validate(payload))
                    done.append(row.id)
            finally:
                if done:
                    await session.execute(
                        update(t).where(t.c.id.in_(done)).values(published_at=datetime.now(UTC))
                    )
                    await session.commit()
                    self.published += len(done)
            return len(done)

    async def prune(self) -> None:
        cutoff = datetime.now(UTC) - self._retention
        async with self._database.session() as session:
            t = self._table
            await session.execute(delete(t).where(t.c.published_at.is_not(None), t.c.published_at < cutoff))
            await session.commit()
