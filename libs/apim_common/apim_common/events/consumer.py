"""Idempotent consumers: an event's id is remembered in the consumer's own transaction, so a
redelivered event changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.events.bus import Handler
from apim_common.events.envelope import CloudEvent

SessionHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


def idempotent(database: Database, table: Table, consumer: str, handler: SessionHandler) -> Handler:
    """Wrap ``handler`` so each event id takes effect once for ``consumer``, atomically with its changes."""

    async def handle(event: CloudEvent) -> None:
        async with database.session() as session, session.begin():
            seen = await session.scalar(
                select(table.c.event_id).where(table.c.consumer == consumer, table.c.event_id == event.id)
            )
            if seen is not None:
                return
            await handler(session, event)
            await session.execute(
                insert(table).values(consumer=consumer, event_id=event.id, processed_at=datetime.now(UTC))
            )

    return handle


# Rows per statement on SQLite: 3 parameters a row stays under its parameter limit.
_CLAIM_CHUNK = 5000


async def claim_new(session: AsyncSession, table: Table, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Record ``event_ids`` as processed by ``consumer`` in the session's transaction; return the
    ones no earlier transaction recorded, for a batch handler to apply only those.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` claims a whole batch: on PostgreSQL the ids
    travel as one array parameter (``unnest``), which costs a few microseconds an id where a
    statement with a parameter per value costs tens to compile.
    """
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    now = datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            f"INSERT INTO {table.name} (consumer, event_id, processed_at) "
            "SELECT CAST(:consumer AS varchar), unnest(CAST(:ids AS varchar[])), CAST(:now AS timestamptz) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        )
        result = await session.scalars(statement, {"consumer": consumer, "ids": unique, "now": now})
        return set(result.all())
    new: set[str] = set()
    for start in range(0, len(unique), _CLAIM_CHUNK):
        rows = [
            {"consumer": consumer, "event_id": event_id, "processed_at": now}
            for event_id in unique[start : start + _CLAIM_CHUNK]
        ]
        insert_rows = sqlite_insert(table).values(rows).on_conflict_do_nothing().returning(table.c.event_id)
        new.update((await session.scalars(insert_rows)).all())
    return new
