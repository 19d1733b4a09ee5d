"""A service's migrations on real PostgreSQL and on SQLite: its own version table, idempotent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import MetaData, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from apim_common.db import create_engine
from apim_common.events.outbox import outbox_table
from apim_common.migrations import upgrade, version_table_for
from tests.support.postgres import fresh_database

pytestmark = pytest.mark.infra

# The publisher's first revision: the event tables every service has. Pinned, so that work on the
# publisher's later revisions does not change what this test checks.
PACKAGE, REVISION = "apim_publisher", "0001"
outbox = outbox_table(MetaData())


@pytest.fixture(params=["postgres", "sqlite"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    engine = create_engine(url)
    yield engine
    await engine.dispose()


def schema(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "indexes": sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)),
            "unique": sorted(str(u["name"]) for u in inspector.get_unique_constraints(table)),
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
        }
        for table in sorted(inspector.get_table_names())
    }


async def versions(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        table = version_table_for(PACKAGE)
        return list((await conn.scalars(text(f"SELECT version_num FROM {table}"))).all())


async def test_upgrade_creates_the_event_tables_under_the_services_own_version_table(
    engine: AsyncEngine,
) -> None:
    await upgrade(engine, PACKAGE, REVISION)
    async with engine.connect() as conn:
        tables = set((await conn.run_sync(schema)).keys())
    assert {"outbox", "processed_events", "alembic_version_publisher"} <= tables
    # Services may share a database server: none of them uses alembic's default table.
    assert "alembic_version" not in tables
    assert await versions(engine) == [REVISION]


async def test_a_second_upgrade_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine, PACKAGE, REVISION)
    async with engine.begin() as conn:
        before = await conn.run_sync(schema)
        await conn.execute(
            insert(outbox).values(
                topic="apis", event_id="e-1", payload={"id": "e-1"}, created_at=text("CURRENT_TIMESTAMP")
            )
        )
    await upgrade(engine, PACKAGE, REVISION)
    async with engine.connect() as conn:
        after = await conn.run_sync(schema)
        kept = (await conn.scalars(select(outbox.c.event_id))).all()
    assert after == before
    assert kept == ["e-1"]
    assert await versions(engine) == [REVISION]


@pytest.mark.parametrize("package", ["apim_key_manager", "apim_admin", "apim_publisher", "apim_devportal"])
def test_every_service_migrates_to_head_on_postgresql(package: str) -> None:
    """PostgreSQL refuses what SQLite lets through (identifier lengths, types): every schema must build."""
    with fresh_database(f"apim_head_{package.removeprefix('apim_')}") as url:

        async def run() -> list[str]:
            engine = create_engine(url)
            try:
                await upgrade(engine, package)
                await upgrade(engine, package)  # and again: nothing left to do
                async with engine.connect() as conn:
                    table = version_table_for(package)
                    return list((await conn.scalars(text(f"SELECT version_num FROM {table}"))).all())
            finally:
                await engine.dispose()

        assert len(asyncio.run(run())) == 1
