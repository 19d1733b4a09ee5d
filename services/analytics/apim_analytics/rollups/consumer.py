"""The ``analytics`` topic's consumer: each run of events stored in one transaction, then acknowledged.

One consumer group for every replica (the events are shared out, not broadcast); a replica that
stops mid-run leaves its run unacknowledged, and whoever takes the partition over stores it again,
harmlessly (``service.store`` claims event ids in the same transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from prometheus_client import Counter, Histogram

from apim_analytics.rollups import service
from apim_analytics.rollups.service import Retention
from apim_analytics.settings import Settings
from apim_common.db import Database
from apim_common.events.bus import EventBus
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

GROUP = "analytics-rollups"
STORED = Counter("apim_analytics_events_stored", "Request events counted into the rollups")
REDELIVERED = Counter("apim_analytics_events_redelivered", "Request events seen again and not counted")
LAG = Histogram(
    "apim_analytics_event_lag_seconds",
    "From an event's time to its run's commit",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)


def subscribe(bus: EventBus, database: Database, *, max_events: int) -> None:
    async def handle(events: Sequence[CloudEvent]) -> None:
        async with database.session() as session, session.begin():
            stored = await service.store(session, events)
        now = time.time()
        for event in events:
            LAG.observe(max(now - event.time.timestamp(), 0.0))
        STORED.inc(stored)
        REDELIVERED.inc(len(events) - stored)

    bus.subscribe_batch([str(Topic.ANALYTICS)], GROUP, handle, max_events=max_events)


async def merge_periodically(database: Database, interval: float) -> None:
    """Add each tenant's finished minutes to their hours and days, one transaction per tenant."""
    while True:
        try:
            async with database.session() as session:
                tenants = await service.tenants(session)
            for tenant in tenants:
                async with database.session() as session, session.begin():
                    await service.merge(session, tenant)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("merging minutes into hours and days failed; trying again at the next interval")
        await asyncio.sleep(interval)


async def expire_periodically(database: Database, retention: Retention, interval: float) -> None:
    while True:
        try:
            async with database.session() as session, session.begin():
                deleted = await service.expire(session, retention)
            if deleted:
                logger.info("analytics retention deleted %d rows", deleted)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("analytics retention failed; trying again at the next interval")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def rollups(app: FastAPI) -> AsyncIterator[None]:
    """A service extension: consume the topic into the rollups, merge minutes into hours and days,
    and expire what is past retention."""
    settings: Settings = app.state.settings
    database: Database = app.state.database
    subscribe(app.state.bus, database, max_events=settings.analytics_batch_max_events)
    retention = Retention(
        minute_days=settings.analytics_minute_retention_days,
        hour_days=settings.analytics_hour_retention_days,
        day_days=settings.analytics_day_retention_days,
        event_id_hours=settings.analytics_dedup_retention_hours,
    )
    tasks = [
        asyncio.create_task(
            merge_periodically(database, settings.analytics_merge_interval_seconds), name="analytics-merge"
        ),
        asyncio.create_task(
            expire_periodically(database, retention, settings.analytics_retention_interval_seconds),
            name="analytics-retention",
        ),
    ]
    try:
        yield
    finally:
        await cancel_and_wait(*tasks)
