"""Hours and days show the minutes the merge has not reached yet, and count each request once;
``orderBy`` answers the highest rows by a metric.

Runs on SQLite (``make run``) and on the real PostgreSQL (distributed mode).
"""

from __future__ import annotations

import time
from typing import Any

from apim_analytics.query import service as query_service
from apim_analytics.query.schemas import AnalyticsQuery, Dimension, Metric
from apim_analytics.rollups import service
from apim_analytics.rollups.models import Granularity
from apim_common.db import Database
from tests.analytics.support import request_event

TENANT = "carbon.super"


async def answer(
    database: Database, granularity: Granularity, now: float, *metrics: Metric, **options: Any
) -> list[dict[str, Any]]:
    query = AnalyticsQuery(
        metrics=metrics or (Metric.REQUEST_COUNT,),
        dimensions=(Dimension.API,),
        granularity=granularity,
        start=now - 2 * 86400,
        end=now + 60,
        api_id=None,
        application_id=None,
        **{"limit": 100, **options},
    )
    async with database.session() as session:
        result = await query_service.run_for(session, TENANT, None, query)
    return result.list


async def counts(database: Database, granularity: Granularity, now: float) -> dict[str, int]:
    return {item["apiId"]: item["requestCount"] for item in await answer(database, granularity, now)}


async def test_the_current_minutes_count_in_hours_and_days_before_and_after_the_merge(
    database: Database,
) -> None:
    now = time.time()
    async with database.session() as session, session.begin():
        await service.store(session, [request_event(at=now - 600), request_event(at=now, apiId="api-2")])
        await service.store(session, [request_event(at=now)])
    expected = {"api-1": 2, "api-2": 1}
    for granularity in Granularity:
        assert await counts(database, granularity, now) == expected, granularity
    async with database.session() as session, session.begin():
        assert await service.merge(session, TENANT, now=now + 3600)
    for granularity in Granularity:
        assert await counts(database, granularity, now) == expected, granularity
    async with database.session() as session, session.begin():  # a late event, after the merge
        await service.store(session, [request_event(at=now)])
    assert await counts(database, Granularity.HOUR, now) == {"api-1": 3, "api-2": 1}


async def test_order_by_a_percentile_answers_the_slowest_apis_with_their_other_metrics(
    database: Database,
) -> None:
    now = time.time()
    events = [
        request_event(at=now, apiId=api, responseLatency=ms, backendLatency=ms - 2)
        for api, ms in (("api-1", 12.0), ("api-2", 700.0), ("api-3", 90.0))
        for _ in range(3 if api == "api-1" else 1)  # the busiest is the fastest
    ]
    async with database.session() as session, session.begin():
        await service.store(session, events)
    metrics = (Metric.REQUEST_COUNT, Metric.LATENCY_P95, Metric.BACKEND_LATENCY_P95)
    rows = await answer(database, Granularity.DAY, now, *metrics, order_by=Metric.LATENCY_P95, limit=2)
    assert [(r["apiId"], r["requestCount"]) for r in rows] == [("api-2", 1), ("api-3", 1)]
    assert 500 < rows[0]["backendLatencyP95"] <= 750
    assert 75 < rows[1]["backendLatencyP95"] <= 100
