"""All SQL of the rollups: additive upserts, dimension upserts and retention deletes.

Rows are upserted in key order, so two replicas adding to the same keys lock them in the same
order and never deadlock. The SQL built from strings here is made of our own column names only;
every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, text, update
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
    progress,
)
from apim_common.events.consumer import claim_new


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


_KEYS = ", ".join(KEY_COLUMNS)
_MEASURES = ", ".join(MEASURE_COLUMNS)
_GROUPED = ", ".join(str(n) for n in range(1, len(KEY_COLUMNS) + 1))
_ARRAY_TYPES: dict[str, str] = {
    name: ("text" if name in ("tenant", "api_id", "application_id", "resource", "error_type") else "bigint")
    for name in (*KEY_COLUMNS, *MEASURE_COLUMNS)
}


def _upsert(granularity: Granularity, rows: str) -> str:
    """SQL adding the rows selected by ``rows`` to a rollup (PostgreSQL and SQLite alike)."""
    table = ROLLUPS[granularity].name
    adds = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in MEASURE_COLUMNS)
    return f"INSERT INTO {table} ({_KEYS}, {_MEASURES}) {rows} ON CONFLICT ({_KEYS}) DO UPDATE SET {adds}"


def _coarser(granularity: Granularity, source: str, where: str) -> str:
    """SQL selecting ``source``'s minute rows summed into ``granularity``'s buckets, in key order."""
    seconds = SECONDS[granularity]
    keys = ", ".join(f"bucket / {seconds} * {seconds}" if k == "bucket" else k for k in KEY_COLUMNS)
    sums = ", ".join(f"sum({name})" for name in MEASURE_COLUMNS)
    return f"SELECT {keys}, {sums} FROM {source} WHERE {where} GROUP BY {_GROUPED} ORDER BY {_GROUPED}"  # noqa: S608


# PostgreSQL: minute rows arrive as one array per column (``unnest``), so a run of thousands of
# rows is one statement with a parameter per column, not per value.
# Number columns travel as one array literal of text each ('{3,0,1}'), parsed by PostgreSQL:
# asyncpg's encoder checks every element of a list in Python, which cost more than the rest of a
# run's upsert for runs of thousands of rows with 60 histogram columns.
_ARRAYS = ", ".join(
    f"CAST(:{name} AS text[])" if kind == "text" else f"CAST(CAST(:{name} AS text) AS {kind}[])"
    for name, kind in _ARRAY_TYPES.items()
)
_UNNEST = f"SELECT * FROM unnest({_ARRAYS})"  # noqa: S608
_ADD_MINUTES = text(_upsert(Granularity.MINUTE, f"{_UNNEST} ORDER BY {_GROUPED}"))
_ADD_HOURS_AND_DAYS = text(
    f"WITH minute_rows ({_KEYS}, {_MEASURES}) AS ({_UNNEST}), "
    f"hours AS ({_upsert(Granularity.HOUR, _coarser(Granularity.HOUR, 'minute_rows', 'true'))}) "
    f"{_upsert(Granularity.DAY, _coarser(Granularity.DAY, 'minute_rows', 'true'))}"
)
# Both dialects: a tenant's minutes of [since, until) added to their hours, then to their days.
_MERGE = {
    granularity: text(
        _upsert(
            granularity,
            _coarser(
                granularity,
                ROLLUPS[Granularity.MINUTE].name,
                "tenant = :tenant AND bucket >= :since AND bucket < :until",
            ),
        )
    )
    for granularity in (Granularity.HOUR, Granularity.DAY)
}


def _arrays(rows: Mapping[Key, list[int]]) -> dict[str, Any]:
    keys = sorted(rows)
    columns: list[Any] = [list(column) for column in zip(*keys, strict=True)]
    columns += list(zip(*(rows[key] for key in keys), strict=True))
    return {
        name: column if _ARRAY_TYPES[name] == "text" else "{" + ",".join(map(str, column)) + "}"
        for name, column in zip(_ARRAY_TYPES, columns, strict=True)
    }


async def _add_each(session: AsyncSession, granularity: Granularity, rows: Mapping[Key, list[int]]) -> None:
    parameters = [
        dict(zip(KEY_COLUMNS, key, strict=True)) | dict(zip(MEASURE_COLUMNS, rows[key], strict=True))
        for key in sorted(rows)
    ]
    await session.execute(_adding(session, ROLLUPS[granularity]), parameters)


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# PostgreSQL: a run's ids claimed in one statement that answers only the ids claimed before (a
# redelivery's), none in the usual run; returning every new id cost 8 us an event to read back.
_CLAIM = text(
    f"WITH offered AS (SELECT DISTINCT unnest(CAST(:ids AS varchar[])) AS event_id), "  # noqa: S608
    f"claimed AS (INSERT INTO {processed_events.name} (consumer, event_id, processed_at) "
    "SELECT CAST(:consumer AS varchar), event_id, CAST(:now AS timestamptz) FROM offered "
    "ON CONFLICT DO NOTHING RETURNING event_id) "
    "SELECT event_id FROM offered EXCEPT SELECT event_id FROM claimed"
)


async def claim(session: AsyncSession, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Record ``event_ids`` as counted by ``consumer`` in the session's transaction; the ones no
    earlier transaction recorded."""
    if not _is_postgresql(session):
        return await claim_new(session, processed_events, consumer, event_ids)
    unique = set(event_ids)
    if not unique:
        return unique
    parameters = {"ids": list(unique), "consumer": consumer, "now": datetime.now(UTC)}
    seen = (await session.scalars(_CLAIM, parameters)).all()
    return unique.difference(seen)


async def add_minutes(session: AsyncSession, minutes: Mapping[Key, list[int]]) -> None:
    if not minutes:
        return
    if _is_postgresql(session):
        await session.execute(_ADD_MINUTES, _arrays(minutes))
    else:
        await _add_each(session, Granularity.MINUTE, minutes)


async def add_hours_and_days(session: AsyncSession, minutes: Mapping[Key, list[int]]) -> None:
    """Add minute rows to their hours and days at once (minutes the merge has passed)."""
    if not minutes:
        return
    if _is_postgresql(session):
        await session.execute(_ADD_HOURS_AND_DAYS, _arrays(minutes))
        return
    for granularity in (Granularity.HOUR, Granularity.DAY):
        await _add_each(session, granularity, coarsen(minutes, SECONDS[granularity]))


async def merged_until(session: AsyncSession, tenants: Iterable[str], start: int) -> dict[str, int]:
    """Each tenant's first unmerged minute (``start`` for a tenant seen the first time), locked
    shared until the transaction ends, so a merge waits for the runs that read it."""
    names = sorted(set(tenants))
    if not names:
        return {}
    await session.execute(
        _insert(session, progress).on_conflict_do_nothing(),
        [{"tenant": name, "merged_until": start} for name in names],
    )
    query = select(progress.c.tenant, progress.c.merged_until).where(progress.c.tenant.in_(names))
    if _is_postgresql(session):
        query = query.order_by(progress.c.tenant).with_for_update(read=True)
    return {row.tenant: row.merged_until for row in (await session.execute(query)).all()}


async def merge(session: AsyncSession, tenant: str, until: int) -> bool:
    """Add the tenant's minutes before ``until`` not merged yet to their hours and days; whether any were."""
    query = select(progress.c.merged_until).where(progress.c.tenant == tenant)
    if _is_postgresql(session):
        query = query.with_for_update()
    since = await session.scalar(query)
    if since is None or since >= until:
        return False
    for statement in _MERGE.values():
        await session.execute(statement, {"tenant": tenant, "since": since, "until": until})
    await session.execute(update(progress).where(progress.c.tenant == tenant).values(merged_until=until))
    return True


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
    return list((await session.scalars(select(progress.c.tenant).order_by(progress.c.tenant))).all())


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
