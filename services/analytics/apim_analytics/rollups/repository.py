"""All SQL of the rollups: additive upserts, dimension upserts and retention deletes.

Rows are upserted in key order, so two replicas adding to the same keys lock them in the same
order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, func, select, union
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from apim_analytics.base import processed_events
from apim_analytics.rollups.models import (
    KEY_COLUMNS,
    MEASURE_COLUMNS,
    ROLLUPS,
    Granularity,
    apis,
    applications,
)

Key = tuple[str, int, str, str, str, int, str]


class ApiRow(NamedTuple):
    tenant: str
    api_id: str
    api_name: str | None
    api_version: str | None
    api_context: str | None
    api_creator: str | None
    last_seen: int


class ApplicationRow(NamedTuple):
    tenant: str
    application_id: str
    application_name: str | None
    application_owner: str | None
    last_seen: int


def _insert(session: AsyncSession, table: Table) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_insert(table)
    return postgresql_insert(table)


def _adding(session: AsyncSession, table: Table) -> Insert:
    statement = _insert(session, table)
    excluded = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(KEY_COLUMNS),
        set_={name: table.c[name] + excluded[name] for name in MEASURE_COLUMNS},
    )


async def add_counts(session: AsyncSession, granularity: Granularity, rows: Mapping[Key, list[int]]) -> None:
    if not rows:
        return
    table = ROLLUPS[granularity]
    parameters = [
        dict(zip(KEY_COLUMNS, key, strict=True)) | dict(zip(MEASURE_COLUMNS, rows[key], strict=True))
        for key in sorted(rows)
    ]
    await session.execute(_adding(session, table), parameters)


def _latest(session: AsyncSession, table: Table, keys: list[str], values: list[str]) -> Insert:
    """An upsert keeping the newest non-null value of each of ``values``."""
    statement = _insert(session, table)
    excluded = statement.excluded
    updates: dict[str, Any] = {name: func.coalesce(excluded[name], table.c[name]) for name in values}
    updates["last_seen"] = excluded["last_seen"]
    return statement.on_conflict_do_update(index_elements=keys, set_=updates)  # type: ignore[no-any-return]


async def upsert_apis(session: AsyncSession, rows: Iterable[ApiRow]) -> None:
    parameters = [row._asdict() for row in sorted(rows)]
    if parameters:
        values = ["api_name", "api_version", "api_context", "api_creator"]
        await session.execute(_latest(session, apis, ["tenant", "api_id"], values), parameters)


async def upsert_applications(session: AsyncSession, rows: Iterable[ApplicationRow]) -> None:
    parameters = [row._asdict() for row in sorted(rows)]
    if parameters:
        values = ["application_name", "application_owner"]
        statement = _latest(session, applications, ["tenant", "application_id"], values)
        await session.execute(statement, parameters)


async def tenants(session: AsyncSession) -> list[str]:
    query = union(
        select(ROLLUPS[Granularity.DAY].c.tenant).distinct(),
        select(apis.c.tenant).distinct(),
        select(applications.c.tenant).distinct(),
    )
    return list((await session.scalars(query)).all())


async def delete_rollups_before(
    session: AsyncSession, granularity: Granularity, tenant: str, cutoff: int
) -> int:
    table = ROLLUPS[granularity]
    result = await session.execute(delete(table).where(table.c.tenant == tenant, table.c.bucket < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget_events_before(session: AsyncSession, consumer: str, before: datetime) -> int:
    table = processed_events
    result = await session.execute(
        delete(table).where(table.c.consumer == consumer, table.c.processed_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
