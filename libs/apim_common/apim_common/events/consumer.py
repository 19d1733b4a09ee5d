"""Idempotent consumers: an event's id is remembered in the consumer's own transaction, so a
redelivered event changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select
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
