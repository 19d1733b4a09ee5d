"""claim_new: a batch consumer's event ids take effect once, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import MetaData

from apim_common.db import Database
from apim_common.events.consumer import claim_new, processed_events_table
from tests.support.postgres import fresh_database

metadata = MetaData()
processed = processed_events_table(metadata)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.infra)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url
        return
    with fresh_database("apim_claim") as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def test_only_ids_never_claimed_before_are_new(database: Database) -> None:
    async with database.session() as session, session.begin():
        assert await claim_new(session, processed, "store", ["a", "b", "b"]) == {"a", "b"}
    async with database.session() as session, session.begin():
        assert await claim_new(session, processed, "store", ["b", "c"]) == {"c"}
    async with database.session() as session, session.begin():
        assert await claim_new(session, processed, "other", ["a"]) == {"a"}


async def test_a_rolled_back_claim_leaves_the_ids_new(database: Database) -> None:
    async with database.session() as session, session.begin():
        assert await claim_new(session, processed, "store", ["x"]) == {"x"}
        await session.rollback()
    async with database.session() as session, session.begin():
        assert await claim_new(session, processed, "store", ["x"]) == {"x"}
