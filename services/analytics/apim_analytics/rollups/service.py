"""Storing a run of request events: each new one counted once in its minute, hour and day.

The run's event ids are claimed first (``claim_new``, in the same transaction as the counts), so
a redelivered event, or a run stored again after a crash between the commit and the bus's
acknowledgement, changes nothing. Counts are folded in memory per minute key before they reach
the database (``folding``), and the minute rows are added to their hours and days.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.base import processed_events
from apim_analytics.rollups import repository
from apim_analytics.rollups.events import RequestEvent, event_key, read
from apim_analytics.rollups.folding import fold
from apim_analytics.rollups.models import Granularity
from apim_common.events.consumer import claim_new
from apim_common.events.envelope import CloudEvent

CONSUMER = "analytics-rollups"


async def store(session: AsyncSession, events: Sequence[CloudEvent]) -> int:
    """Count the events of ``events`` not counted before; return how many were new."""
    new_ids = await claim_new(session, processed_events, CONSUMER, [event_key(event.id) for event in events])
    if not new_ids:
        return 0
    fresh: list[RequestEvent] = []
    for event in events:
        key = event_key(event.id)
        if key in new_ids:
            new_ids.discard(key)  # the same id twice in one run counts once
            fresh.append(read(event))
    folded = fold(fresh)
    await repository.add_counts(session, folded.minutes)
    await repository.upsert_apis(session, folded.apis.values())
    await repository.upsert_applications(session, folded.applications.values())
    return len(fresh)


@dataclass(frozen=True)
class Retention:
    minute_days: int
    hour_days: int
    day_days: int | None
    event_id_hours: int

    def cutoffs(self, now: float) -> dict[Granularity, int]:
        days = {Granularity.MINUTE: self.minute_days, Granularity.HOUR: self.hour_days}
        if self.day_days is not None:
            days[Granularity.DAY] = self.day_days
        return {granularity: int(now) - count * 86400 for granularity, count in days.items()}


async def expire(session: AsyncSession, retention: Retention, now: float | None = None) -> int:
    """Delete rollups older than their retention, and event ids too old to be redelivered; the row count."""
    now = time.time() if now is None else now
    deleted = 0
    tenants = await repository.tenants(session)
    for granularity, cutoff in retention.cutoffs(now).items():
        for tenant in tenants:
            deleted += await repository.delete_rollups_before(session, granularity, tenant, cutoff)
    forget_before = datetime.fromtimestamp(now, UTC) - timedelta(hours=retention.event_id_hours)
    deleted += await repository.forget_events_before(session, CONSUMER, forget_before)
    return deleted
