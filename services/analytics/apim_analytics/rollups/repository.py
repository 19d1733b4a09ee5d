"""All SQL of the rollups: additive upserts, dimension upserts and retention deletes.

Rows are upserted in key order, so two replicas adding to the same keys lock them in the same
order and never deadlock. The SQL built from strings here is made of our own column names only;
every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, TextClause, delete, func, select, text, union
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from apim_analytics.base import processed_events
from apim_analytics.rollups.folding import ApiRow, ApplicationRow, Key, coarsen
from apim_analytics.rollups.models import (
    KEY_COLUMNS,
    MEASURE_COLUMNS,
    ROLLUPS,
    SECONDS,
    Granularity,
    apis,
    applications,
)


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


def _merging_statement() -> TextClause:
    """PostgreSQL: the minute rows arrive as one array per column (``unnest``), and the database
    adds them to their minutes, hours and days in one statement, so Python sends each row once."""
    keys = ", ".join(KEY_COLUMNS)
    measures = ", ".join(MEASURE_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _ARRAY_TYPES.items())
    grouped = ", ".join(str(n) for n in range(1, len(KEY_COLUMNS) + 1))

    def upsert(granularity: Granularity, select: str) -> str:
        table = ROLLUPS[granularity].name
        adds = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in MEASURE_COLUMNS)
        return f"INSERT INTO {table} ({keys}, {measures}) {select} ON CONFLICT ({keys}) DO UPDATE SET {adds}"

    def truncated(granularity: Granularity) -> str:
        seconds = SECONDS[granularity]
        key_list = ", ".join(f"bucket / {seconds} * {seconds}" if k == "bucket" else k for k in KEY_COLUMNS)
        sums = ", ".join(f"sum({name})" for name in MEASURE_COLUMNS)
        return f"SELECT {key_list}, {sums} FROM minute_rows GROUP BY {grouped} ORDER BY {grouped}"  # noqa: S608

    minute_rows = f"SELECT * FROM unnest({arrays})"  # noqa: S608
    in_order = f"SELECT * FROM minute_rows ORDER BY {grouped}"  # noqa: S608
    return text(
        f"WITH minute_rows ({keys}, {measures}) AS ({minute_rows}), "
        f"minutes AS ({upsert(Granularity.MINUTE, in_order)}), "
        f"hours AS ({upsert(Granularity.HOUR, truncated(Granularity.HOUR))}) "
        f"{upsert(Granularity.DAY, truncated(Granularity.DAY))}"
    )


_ARRAY_TYPES: dict[str, str] = {
    name: ("text" if name in ("tenant", "api_id", "application_id", "resource", "error_type") else "bigint")
    for name in (*KEY_COLUMNS, *MEASURE_COLUMNS)
}
_MERGING = _merging_statement()


async def add_counts(session: AsyncSession, minutes: Mapping[Key, list[int]]) -> None:
    """Add the minute rows to the minute, hour and day rollups."""
    if not minutes:
        return
    if session.get_bind().dialect.name == "postgresql":
        keys = sorted(minutes)
        columns = [list(column) for column in zip(*keys, strict=True)]
        columns += [list(column) for column in zip(*(minutes[key] for key in keys), strict=True)]
        await session.execute(_MERGING, dict(zip(_ARRAY_TYPES, columns, strict=True)))
        return
    for granularity in Granularity:
        rows = minutes if granularity is Granularity.MINUTE else coarsen(minutes, SECONDS[granularity])
        parameters = [
            dict(zip(KEY_COLUMNS, key, strict=True)) | dict(zip(MEASURE_COLUMNS, rows[key], strict=True))
            for key in sorted(rows)
        ]
        await session.execute(_adding(session, ROLLUPS[granularity]), parameters)


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
