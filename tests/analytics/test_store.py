"""Storing runs of request events: counted once per event id, in minute, hour and day rollups.

Each test runs on SQLite (``make run``) and on the real PostgreSQL (distributed mode).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from apim_analytics.base import processed_events
from apim_analytics.rollups import service
from apim_analytics.rollups.histogram import bucket_of
from apim_analytics.rollups.models import ROLLUPS, Granularity, applications
from apim_analytics.rollups.service import Retention
from apim_common.db import Database
from apim_common.events.envelope import CloudEvent
from tests.analytics.support import T0, request_event


async def store(database: Database, events: list[CloudEvent]) -> int:
    async with database.session() as session, session.begin():
        return await service.store(session, events)


async def rows(database: Database, granularity: Granularity) -> list[dict[str, Any]]:
    table = ROLLUPS[granularity]
    async with database.session() as session:
        result = await session.execute(select(table).order_by(*table.primary_key.columns))
        return [dict(row._mapping) for row in result]


async def test_a_run_is_counted_per_minute_and_merged_into_its_hour_and_day(database: Database) -> None:
    events = [
        request_event(at=T0 + 5),
        request_event(at=T0 + 65),
        request_event(at=T0 + 70, responseLatency=600.0),
    ]
    assert await store(database, events) == 3
    minutes = await rows(database, Granularity.MINUTE)
    assert [(r["bucket"], r["request_count"]) for r in minutes] == [(T0, 1), (T0 + 60, 2)]
    (hour,) = await rows(database, Granularity.HOUR)
    (day,) = await rows(database, Granularity.DAY)
    assert hour["bucket"] == T0 // 3600 * 3600
    assert day["bucket"] == T0 // 86400 * 86400
    for rollup in (hour, day):
        assert rollup["request_count"] == 3
        assert rollup[f"total_{bucket_of(12.0)}"] == 2
        assert rollup[f"total_{bucket_of(600.0)}"] == 1
        assert rollup[f"backend_{bucket_of(9.0)}"] == 3
        assert rollup[f"gateway_{bucket_of(3.0)}"] == 3


async def test_a_redelivered_run_changes_no_rollup(database: Database) -> None:
    events = [request_event(at=T0 + n) for n in range(10)]
    await store(database, events)
    before = {g: await rows(database, g) for g in Granularity}
    assert await store(database, events) == 0
    assert {g: await rows(database, g) for g in Granularity} == before


async def test_an_event_seen_again_in_a_later_run_counts_once(database: Database) -> None:
    first = request_event(at=T0)
    await store(database, [first])
    assert await store(database, [first, request_event(at=T0), first]) == 1
    (minute,) = await rows(database, Granularity.MINUTE)
    assert minute["request_count"] == 2


async def test_errors_and_bytes_are_counted_per_status_and_error_type(database: Database) -> None:
    await store(
        database,
        [
            request_event(proxyResponseCode=429, errorType="THROTTLED", responseSize=10),
            request_event(proxyResponseCode=200, properties={"responseSize": 32}),
        ],
    )
    minutes = await rows(database, Granularity.MINUTE)
    counted = {(r["status_code"], r["error_type"]): (r["error_count"], r["response_bytes"]) for r in minutes}
    assert counted == {(200, ""): (0, 32), (429, "THROTTLED"): (1, 10)}


async def test_the_latest_application_owner_is_remembered(database: Database) -> None:
    await store(database, [request_event(at=T0, applicationOwner="bob")])
    await store(database, [request_event(at=T0 + 60, applicationOwner="carol", applicationName=None)])
    async with database.session() as session:
        row = (await session.execute(select(applications))).one()
    assert (row.application_owner, row.application_name) == ("carol", "Shop")


async def test_retention_deletes_expired_minutes_and_keeps_hours(database: Database) -> None:
    await store(database, [request_event(at=T0), request_event(at=T0 + 3 * 86400)])
    retention = Retention(minute_days=2, hour_days=400, day_days=None, event_id_hours=48)
    async with database.session() as session, session.begin():
        await service.expire(session, retention, now=T0 + 4 * 86400)
    assert [r["bucket"] for r in await rows(database, Granularity.MINUTE)] == [T0 + 3 * 86400]
    assert len(await rows(database, Granularity.HOUR)) == 2


async def test_event_ids_past_their_retention_are_forgotten(database: Database) -> None:
    await store(database, [request_event(event_id="old")])
    retention = Retention(minute_days=30, hour_days=400, day_days=None, event_id_hours=1)
    async with database.session() as session, session.begin():
        await service.expire(session, retention, now=T0 + 10**9)
    async with database.session() as session:
        remembered = await session.scalar(select(func.count()).select_from(processed_events))
    assert remembered == 0


async def test_current_minutes_reach_hours_and_days_once_merged(database: Database) -> None:
    now = time.time()
    minute = int(now // 60 * 60)
    await store(database, [request_event(at=now), request_event(at=now)])
    assert [r["request_count"] for r in await rows(database, Granularity.MINUTE)] == [2]
    assert await rows(database, Granularity.HOUR) == []
    async with database.session() as session, session.begin():
        assert await service.merge(session, "carbon.super", now=minute + 60 + service.MERGE_DELAY_SECONDS)
    async with database.session() as session, session.begin():
        assert not await service.merge(session, "carbon.super", now=minute + 60 + service.MERGE_DELAY_SECONDS)
    for granularity in (Granularity.HOUR, Granularity.DAY):
        assert [r["request_count"] for r in await rows(database, granularity)] == [2]


async def test_a_late_event_for_a_merged_minute_reaches_its_hour_at_once(database: Database) -> None:
    now = time.time()
    await store(database, [request_event(at=now)])
    async with database.session() as session, session.begin():
        await service.merge(session, "carbon.super", now=now + 3600)
    await store(database, [request_event(at=now)])  # its minute was merged: counted in all three
    async with database.session() as session, session.begin():
        assert not await service.merge(session, "carbon.super", now=now + 3600)
    for granularity in Granularity:
        assert [r["request_count"] for r in await rows(database, granularity)] == [2]
