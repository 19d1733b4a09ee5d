"""SQLite writers of one process queue for the file instead of polling it: the busy timeout is
never what decides whether a write succeeds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from apim_common import db
from apim_common.db import Database

WRITERS = 32


async def test_32_writers_holding_the_file_longer_than_the_busy_timeout_all_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each writer holds the file for 20 ms; together far longer than a 50 ms busy timeout.
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
            await connection.execute(text("INSERT INTO counter VALUES (1, 0)"))

        async def writer() -> None:
            async with database.session() as session:
                n = (await session.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one()
                await session.execute(text("INSERT INTO counter (n) VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.02)
                await session.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
                await session.commit()

        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        async with database.session() as session:
            assert (await session.execute(text("SELECT n FROM counter WHERE id = 1"))).scalar_one() == WRITERS
            assert (await session.execute(text("SELECT count(*) FROM counter"))).scalar_one() == WRITERS + 1
    finally:
        await database.dispose()


async def test_a_writer_that_rolls_back_lets_the_next_one_write(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'rollback.db'}")
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        async with database.session() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.rollback()
        async with database.session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            await session.close()  # closed mid-transaction: no commit, no explicit rollback
        async with database.session() as session:
            await asyncio.wait_for(session.execute(text("INSERT INTO t VALUES (3)")), 2)
            await session.commit()
            assert (await session.execute(text("SELECT id FROM t"))).scalars().all() == [3]
    finally:
        await database.dispose()
