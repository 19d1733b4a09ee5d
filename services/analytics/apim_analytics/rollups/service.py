"""Storing a run of request events: each new one counted once in its minute, hour and day.

The run's event ids are claimed first (``claim_new``, in the same transaction as the counts), so
a redelivered event, or a run stored again after a crash between the commit and the bus's
acknowledgement, changes nothing. Counts are folded in memory per rollup key before they reach
the database: a run of thousands of events becomes one upsert per distinct key and granularity.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.base import processed_events
from apim_analytics.rollups import repository
from apim_analytics.rollups.events import RequestEvent, event_key, read
from apim_analytics.rollups.histogram import BUCKETS, bucket_of
from apim_analytics.rollups.models import SECONDS, Granularity
from apim_analytics.rollups.repository import ApiRow, ApplicationRow, Key
from apim_common.events.consumer import claim_new
from apim_common.events.envelope import CloudEvent

CONSUMER = "analytics-rollups"
# Offsets of the measures in a row of counts (``models.MEASURE_COLUMNS``' order).
_REQUESTS, _ERRORS, _REQUEST_BYTES, _RESPONSE_BYTES = range(4)
_TOTAL, _BACKEND, _GATEWAY = 4, 4 + BUCKETS, 4 + 2 * BUCKETS
WIDTH = 4 + 3 * BUCKETS


@dataclass
class Folded:
    """A run of events as rows to add: counts per key and granularity, and the dimensions seen."""

    rollups: dict[Granularity, dict[Key, list[int]]] = field(
        default_factory=lambda: {granularity: {} for granularity in Granularity}
    )
    apis: dict[tuple[str, str], ApiRow] = field(default_factory=dict)
    applications: dict[tuple[str, str], ApplicationRow] = field(default_factory=dict)


def fold(events: Iterable[RequestEvent]) -> Folded:
    folded = Folded()
    minutes = folded.rollups[Granularity.MINUTE]
    for event in events:
        minute = int(event.at // 60) * 60
        key = (
            event.tenant,
            minute,
            event.api_id,
            event.application_id,
            event.resource,
            event.status_code,
            event.error_type,
        )
        counts = minutes.get(key)
        if counts is None:
            counts = minutes[key] = [0] * WIDTH
        counts[_REQUESTS] += 1
        if event.is_error:
            counts[_ERRORS] += 1
        counts[_REQUEST_BYTES] += event.request_bytes
        counts[_RESPONSE_BYTES] += event.response_bytes
        if event.total_ms is not None:
            counts[_TOTAL + bucket_of(event.total_ms)] += 1
        if event.backend_ms is not None:
            counts[_BACKEND + bucket_of(event.backend_ms)] += 1
        if event.gateway_ms is not None:
            counts[_GATEWAY + bucket_of(event.gateway_ms)] += 1
        _remember_dimensions(folded, event, minute)
    for granularity in (Granularity.HOUR, Granularity.DAY):
        seconds = SECONDS[granularity]
        coarser = folded.rollups[granularity]
        for (tenant, minute, api, application, resource, status, error), counts in minutes.items():
            coarse_key = (tenant, minute // seconds * seconds, api, application, resource, status, error)
            merged = coarser.get(coarse_key)
            if merged is None:
                coarser[coarse_key] = list(counts)
            else:
                for index, count in enumerate(counts):
                    if count:
                        merged[index] += count
    return folded


def _remember_dimensions(folded: Folded, event: RequestEvent, minute: int) -> None:
    if event.api_id:
        folded.apis[(event.tenant, event.api_id)] = ApiRow(
            event.tenant, event.api_id, event.api_name, event.api_version, event.api_context,
            event.api_creator, minute,
        )  # fmt: skip
    if event.application_id:
        folded.applications[(event.tenant, event.application_id)] = ApplicationRow(
            event.tenant, event.application_id, event.application_name, event.application_owner, minute
        )


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
    for granularity, rows in folded.rollups.items():
        await repository.add_counts(session, granularity, rows)
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
