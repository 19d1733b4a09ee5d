"""The analytics service in distributed mode: Kafka in, PostgreSQL rollups out, nothing lost or doubled.

The service is stopped in the middle of the topic and started again; then every event is
published a second time (a redelivery, same ids). The rollups must count each event once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture
def kafka_bootstrap() -> str:
    return infra_value("APIM_TEST_KAFKA_BOOTSTRAP")


@pytest.fixture
def topic_prefix() -> str:
    """Topics of this test only: the broker is shared by every test."""
    return f"it-{uuid.uuid4().hex[:10]}."


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database("apim_analytics") as url:
        yield url


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url)
    yield database
    await database.dispose()


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


async def test_a_restart_mid_stream_and_a_redelivery_count_every_event_once(
    kafka_bootstrap: str, topic_prefix: str, postgres_url: str, database: Database
) -> None:
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
    producer = KafkaBus({"bootstrap_servers": kafka_bootstrap}, topic_prefix=topic_prefix)
    await producer.start()
    try:
        for event in events:
            await producer.publish(str(Topic.ANALYTICS), event)

        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            await eventually(lambda: _some(database), timeout=60, what="a first run stored")
        stopped_at = await claimed(database)
        assert 0 < stopped_at < EVENTS, "the service was not stopped mid-stream"

        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            await eventually(lambda: _all(database), timeout=90, what="every event stored")
            for event in events:
                await producer.publish(str(Topic.ANALYTICS), event)
            marker = request_event(at=now, apiId="marker")
            await producer.publish(str(Topic.ANALYTICS), marker)
            await eventually(lambda: _claimed_at_least(database, EVENTS + 1), timeout=90, what="the marker")
            assert await counted(database) == {g: EVENTS + 1 for g in Granularity}
    finally:
        await producer.stop()


async def _some(database: Database) -> bool:
    return await claimed(database) > 0


async def _all(database: Database) -> bool:
    return await claimed(database) >= EVENTS


async def _claimed_at_least(database: Database, count: int) -> bool:
    return await claimed(database) >= count
