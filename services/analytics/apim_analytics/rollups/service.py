"""Storing a run of request events: each new one counted once in its minute, hour and day.

The run's event ids are claimed first (``repository.claim``, in the same transaction as the counts), so
a redelivered event, or a run stored again after a crash between the commit and the bus's
acknowledgement, changes nothing. Counts are folded in memory per minute key before they reach
the database (``folding``). A run adds to minute rows only; a periodic merge adds each tenant's
minutes to their hours and days once the minutes are over (``MERGE_DELAY_SECONDS``), so the hour
and day rollups trail the minute rollup by two to three minutes, and a busy key costs one upsert
per run instead of three. A tenant's merge point is locked shared by the runs that read it, so a
merge never misses a run that had judged a minute unmerged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.rollups import repository
from apim_analytics.rollups.events import RequestEvent, event_key, read
from apim_analytics.rollups.folding import fold
from apim_analytics.rollups.models import Granularity
from apim_common.events.envelope import CloudEvent

CONSUMER = "analytics-rollups"
# A minute is merged into its hour and day this long after it ended (most of its events are in by
# then; a later one is added to all three at once).
MERGE_DELAY_SECONDS = 120


def merge_point(now: float) -> int:
    """The first minute not to merge yet: minutes still receiving events are left to the minute rollup."""
    return int((now - MERGE_DELAY_SECONDS) // 60 * 60)


async def merge(session: AsyncSession, tenant: str, now: float | None = None) -> bool:
    """Add the tenant's minutes that are past ``merge_point`` to their hours and days; whether any were."""
    return await repository.merge(session, tenant, merge_point(time.time() if now is None else now))


async def tenants(session: AsyncSession) -> list[str]:
    return await repository.tenants(session)


async def store(session: AsyncSession, events: Sequence[CloudEvent]) -> int:
    """Count the events of ``events`` not counted before; return how many were new."""
    new_ids = await repository.claim(session, CONSUMER, [event_key(event.id) for event in events])
    if not new_ids:
        return 0
    fresh: list[RequestEvent] = []
    for event in events:
        key = event_key(event.id)
        if key in new_ids:
            new_ids.discard(key)  # the same id twice in one run counts once
            fresh.append(read(event))
    folded = fold(fresh)
    marks = await repository.merged_until(
        session, (key[0] for key in folded.minutes), merge_point(time.time())
    )
    await repository.add_minutes(session, folded.minutes)
    # Minutes the merge has passed (late events, or old ones replayed) go to their hours and days now.
    late = {key: counts for key, counts in folded.minutes.items() if key[1] < marks[key[0]]}
    await repository.add_hours_and_days(session, late)
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
