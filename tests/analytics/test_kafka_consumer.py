"""The analytics service in distributed mode: Kafka in, PostgreSQL rollups out, nothing lost or doubled.

The service is stopped in the middle of the topic and started again; then every event is
published a second time (a redelivery, same ids). The rollups must count each event once.
The scenario runs once (it takes the real broker and PostgreSQL some seconds); each test checks
one of its steps.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from apim_analytics.app import create_app
from apim_analytics.base import processed_events
from apim_analytics.rollups.models import ROLLUPS, Granularity
from apim_analytics.settings import Settings
from apim_common.db import Database
from apim_common.events.kafka import KafkaBus
from apim_common.events.topics import Topic
from tests.analytics.support import request_event
from tests.conftest import infra_value
from tests.integration.conftest import eventually
from tests.support.postgres import fresh_database

pytestmark = [pytest.mark.infra, pytest.mark.timeout(180)]

EVENTS = 3000


@dataclass
class Seen:
    """What the scenario below saw at each step."""

    stopped_at: int = 0  # events claimed when the first service stopped
    after_restart: dict[Granularity, int] = field(default_factory=dict)
    after_redelivery: dict[Granularity, int] = field(default_factory=dict)


async def counted(database: Database) -> dict[Granularity, int]:
    async with database.session() as session:
        out = {}
        for granularity, table in ROLLUPS.items():
            out[granularity] = int(
                await session.scalar(select(func.coalesce(func.sum(table.c.request_count), 0)))
            )
        return out


async def claimed(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(processed_events)) or 0)


async def _scenario(kafka_bootstrap: str, postgres_url: str) -> Seen:
    """The service stopped mid-topic and started again; then every event published a second time
    (same ids) and a marker after them, so the redelivery has been consumed when the marker has."""
    seen = Seen()
    topic_prefix = f"it-{uuid.uuid4().hex[:10]}."  # topics of this test only: the broker is shared
    settings = Settings(
        mode="development",
        bus="kafka",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=topic_prefix,
        database_url=postgres_url,
        analytics_batch_max_events=100,
    )
    # Recent events: older minutes would be past the minute rollups' retention.
    now = time.time() // 60 * 60 - 600
    events = [request_event(at=now + n % 300, apiId=f"api-{n % 7}") for n in range(EVENTS)]
    database = Database(postgres_url)
    producer = KafkaBus({"bootstrap_servers": kafka_bootstrap}, topic_prefix=topic_prefix)
    await producer.start()
    try:
        for event in events:
            await producer.publish(str(Topic.ANALYTICS), event)

        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            await eventually(lambda: _some(database), timeout=60, what="a first run stored")
        seen.stopped_at = await claimed(database)

        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            await eventually(lambda: _all(database), timeout=90, what="every event stored")
            seen.after_restart = await counted(database)
            for event in events:
                await producer.publish(str(Topic.ANALYTICS), event)
            marker = request_event(at=now, apiId="marker")
            await producer.publish(str(Topic.ANALYTICS), marker)
            await eventually(lambda: _claimed_at_least(database, EVENTS + 1), timeout=90, what="the marker")
            seen.after_redelivery = await counted(database)
    finally:
        await producer.stop()
        await database.dispose()
    return seen


@pytest.fixture(scope="module")
def seen() -> Iterator[Seen]:
    """One run of the scenario for the module's tests (each reads one of its steps)."""
    kafka_bootstrap = infra_value("APIM_TEST_KAFKA_BOOTSTRAP")
    with fresh_database("apim_analytics") as postgres_url:
        yield asyncio.run(_scenario(kafka_bootstrap, postgres_url))


def test_a_consumer_restarted_mid_stream_loses_no_event(seen: Seen) -> None:
    assert 0 < seen.stopped_at < EVENTS, "the service was not stopped mid-stream"
    assert seen.after_restart == {g: EVENTS for g in Granularity}


def test_redelivered_events_change_no_rollup(seen: Seen) -> None:
    # Only the marker is new: each of the EVENTS published again is counted once, as before.
    assert seen.after_redelivery == {g: EVENTS + 1 for g in Granularity}


async def _some(database: Database) -> bool:
    return await claimed(database) > 0


async def _all(database: Database) -> bool:
    return await claimed(database) >= EVENTS


async def _claimed_at_least(database: Database, count: int) -> bool:
    return await claimed(database) >= count
