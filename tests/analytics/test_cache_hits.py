"""Requests a gateway answered from its response cache (``responseCacheHit``): counted in the
rollups and read back as ``cacheHitCount`` and ``cacheHitRatio``."""

from __future__ import annotations

from datetime import UTC, datetime

from apim_analytics.app import create_app
from apim_analytics.rollups.events import read
from apim_analytics.settings import Settings
from apim_common.events import InProcessBus
from apim_common.events.topics import Topic
from tests.analytics.support import T0, request_event
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory


def test_a_cache_hit_is_read_only_when_the_event_says_true() -> None:
    assert read(request_event(responseCacheHit=True)).cache_hit is True
    assert read(request_event(responseCacheHit=False)).cache_hit is False
    assert read(request_event(responseCacheHit="yes")).cache_hit is False
    assert read(request_event()).cache_hit is False


async def test_cache_hits_are_counted_and_queried_per_api(tokens: TokenFactory, sqlite_url: str) -> None:
    bus = InProcessBus()
    settings = Settings(mode="development", database_url=sqlite_url)
    async with running_service(create_app, settings, tokens, bus=bus) as (_, http):
        await bus.start()
        try:
            for n, hit in enumerate((False, True, True, True)):
                await bus.publish(str(Topic.ANALYTICS), request_event(at=T0 + n, responseCacheHit=hit))
            await bus.drain()
            response = await http.get(
                "/api/am/analytics/v1/query",
                params={
                    "from": datetime.fromtimestamp(T0 - 3600, UTC).isoformat(),
                    "to": datetime.fromtimestamp(T0 + 3600, UTC).isoformat(),
                    "metrics": "requestCount,cacheHitCount,cacheHitRatio",
                    "dimensions": "api",
                },
                headers=tokens.headers("admin", "apim:admin"),
            )
        finally:
            await bus.stop()
    assert response.status_code == 200, response.text
    (row,) = response.json()["list"]
    assert (row["apiId"], row["requestCount"], row["cacheHitCount"], row["cacheHitRatio"]) == (
        "api-1",
        4,
        3,
        0.75,
    )
