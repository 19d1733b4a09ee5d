"""The analytics store on SQLite (``make run``) and on the real PostgreSQL (distributed mode),
migrated, for each test that asks for ``database``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from apim_common.db import Database
from apim_common.migrations import upgrade
from tests.support.postgres import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.infra)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url
        return
    with fresh_database("apim_analytics") as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database.engine, "apim_analytics")
    yield database
    await database.dispose()
