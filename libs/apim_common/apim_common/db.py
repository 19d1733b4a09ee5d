"""Async SQLAlchemy plumbing: one engine per app lifespan, one session per request.

The request's session commits when the endpoint returns and rolls back when it raises, before the
response is sent, so a client never sees success for a change that was not committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# Constraint names that alembic can address on every database.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for SQLite (aiosqlite) or PostgreSQL (asyncpg); creates a SQLite file's folder."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    return create_async_engine(url, **kwargs)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """The engine and session factory of one service, created once in its lifespan."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            # Also after a failed commit: SQLite keeps the transaction open when COMMIT fails on a
            # deferred constraint, and the pool would hand that connection on without a rollback.
            await session.rollback()
            raise
        # Changes that wrote outbox rows wake the relay now instead of at its next poll.
        relay = getattr(request.app.state, "outbox_relay", None)
        if relay is not None and session.info.pop("outbox_written", False):
            relay.wake()


# The one session of a request; commits before the response is sent (scope="function").
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
