"""Async SQLAlchemy plumbing: one engine per app lifespan, one session per request.

The request's session commits when the endpoint returns and rolls back when it raises, before the
response is sent, so a client never sees success for a change that was not committed.

SQLite takes one writer at a time per file. Left to its busy handler, concurrent writers of one
process sleep and poll in their driver threads (1 to 100 ms naps) and give up after the busy
timeout with "database is locked"; under 32 concurrent API seeders the control plane fell from 49
to 15 writes a second. So a SQLite engine queues its writers on an asyncio lock instead: a
connection takes it at its first write statement and gives it back when its transaction ends.
Reads never wait (WAL), and the busy timeout still covers other processes on the same file.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from apim_common.errors import ErrorBody, error_response

logger = logging.getLogger(__name__)

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


# How long a SQLite writer waits for its turn in this process (the lock), and for the file when
# another process holds it (SQLite's busy timeout, in milliseconds).
SQLITE_WRITE_WAIT_SECONDS = 30.0
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


class SQLiteWriterQueue:
    """One writing transaction at a time per SQLite engine, the others queued on an asyncio lock.

    The lock is handed on once the driver's commit or rollback has returned, so the next writer
    finds the file free rather than meeting the end of the last commit.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._lock = asyncio.Lock()
        # The driver connection of the transaction that holds the lock.
        self._holder: Any = None
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        dialect: Any = sync_engine.dialect
        dialect.do_commit = self._ending(dialect.do_commit)
        dialect.do_rollback = self._ending(dialect.do_rollback)
        # A connection closed or invalidated mid-transaction may end it without either call.
        event.listen(sync_engine.pool, "checkin", self._returned)
        event.listen(sync_engine.pool, "invalidate", self._returned)

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        driver_connection = conn.connection.dbapi_connection
        if self._holder is driver_connection or not _WRITE_STATEMENT.match(statement):
            return

        async def acquire(_: Any) -> None:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that
            # arrives as the lock is granted, and a stopping task (the outbox relay) never ends.
            async with asyncio.timeout(SQLITE_WRITE_WAIT_SECONDS):
                await self._lock.acquire()
            # No await in between: a cancellation delivered later finds the holder recorded, and
            # the connection's rollback or check-in gives the lock back.
            self._holder = driver_connection

        # Runs in SQLAlchemy's greenlet: the driver connection awaits the lock on the event loop.
        driver_connection.run_async(acquire)

    def _release(self, driver_connection: Any) -> None:
        if driver_connection is not None and self._holder is driver_connection:
            self._holder = None
            self._lock.release()

    def _ending(self, end: Callable[[Any], None]) -> Callable[[Any], None]:
        def ended(driver_connection: Any) -> None:
            try:
                end(driver_connection)
            finally:
                self._release(driver_connection)

        return ended

    def _returned(self, driver_connection: Any, *_: Any) -> None:
        self._release(driver_connection)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for SQLite (aiosqlite) or PostgreSQL (asyncpg); creates a SQLite file's folder."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        SQLiteWriterQueue(engine)
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


async def _data_error(_: Request, exc: Exception) -> JSONResponse:
    """A value the database refused (PostgreSQL's NUL in text, a number out of its range...): the
    request's fault, since schemas bound what they can and this is the net under them."""
    logger.warning("the database refused a value of a request: %s", exc.__class__.__name__)
    body = ErrorBody(
        code=400, message="Bad Request", description="The request holds a value that cannot be stored"
    )
    return error_response(400, body)


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    """A unique or foreign key the request would break, that the service's own checks missed."""
    logger.warning("a request conflicts with a database constraint: %s", exc.__class__.__name__)
    body = ErrorBody(
        code=409,
        message="Conflict",
        description="The request conflicts with the current state of a resource",
    )
    return error_response(409, body)


def install_database_error_handlers(app: FastAPI) -> None:
    """The answers to what the database refused, for a service with one (beside
    ``apim_common.errors.install_error_handlers``, which a service without one loads alone)."""
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
