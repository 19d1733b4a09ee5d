"""All SQL of the query API: sums of rollup rows grouped by the asked dimensions, and names."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, Table, desc, func, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.rollups.models import (
    MEASURE_COLUMNS,
    ROLLUPS,
    SECONDS,
    Granularity,
    apis,
    applications,
    progress,
)


async def sums(
    session: AsyncSession,
    granularity: Granularity,
    *,
    tenant: str,
    start_bucket: int,
    end: float,
    group_by: Sequence[str],
    measures: Sequence[str],
    api_id: str | None,
    application_id: str | None,
    owners: Collection[str] | None,
    order_by_time: bool,
    limit: int,
    among: Sequence[tuple[Any, ...]] | None = None,
) -> Sequence[RowMapping]:
    """The sum of each of ``measures`` (rollup columns) per group of ``group_by``, ordered by
    ``request_count`` unless along time; ``owners`` limits to their applications.

    Hours and days also count the tenant's minutes not merged into them yet (the last two to
    three minutes), in the same statement as the merged rows, so a request is counted once
    whether or not the merge has passed its minute, and shows at once at every granularity.
    ``among``: only the groups of these values of ``group_by``'s columns other than ``bucket``."""
    measured = [name for name in measures if name in MEASURE_COLUMNS]
    columns = list(dict.fromkeys([*group_by, "request_count", *measured]))
    table = ROLLUPS[granularity]
    source = _rows(table, columns, tenant, start_bucket, end, api_id, application_id, owners)
    keys = [name for name in group_by if name != "bucket"]
    if among is not None and keys:
        source = source.where(_among(table, keys, among))
    if granularity is not Granularity.MINUTE:
        minutes = ROLLUPS[Granularity.MINUTE]
        merged_until = select(progress.c.merged_until).where(progress.c.tenant == tenant).scalar_subquery()
        pending = _rows(
            minutes, columns, tenant, start_bucket, end, api_id, application_id, owners, SECONDS[granularity]
        ).where(minutes.c.bucket >= merged_until)
        if among is not None and keys:
            pending = pending.where(_among(minutes, keys, among))
        both = union_all(source, pending).subquery("rollup")
    else:
        both = source.subquery("rollup")
    groups = [both.c[name] for name in group_by]
    summed = [func.sum(both.c[name]).label(name) for name in measured]
    query = select(*groups, *summed)
    if groups:
        query = query.group_by(*groups)
    if order_by_time:
        query = query.order_by(both.c.bucket, *(g for g in groups if g.name != "bucket"))
    else:
        query = query.order_by(desc(func.sum(both.c.request_count)), *groups)
    return (await session.execute(query.limit(limit))).mappings().all()


def _among(table: Table, keys: Sequence[str], values: Sequence[tuple[Any, ...]]) -> ColumnElement[bool]:
    if len(keys) == 1:
        return table.c[keys[0]].in_([value[0] for value in values])
    return tuple_(*(table.c[name] for name in keys)).in_(list(values))


def _rows(
    table: Table,
    columns: Sequence[str],
    tenant: str,
    start_bucket: int,
    end: float,
    api_id: str | None,
    application_id: str | None,
    owners: Collection[str] | None,
    coarsen_to: int | None = None,
) -> Select[Any]:
    """``table``'s rows of the query, their ``columns`` only; buckets cut to ``coarsen_to`` seconds."""
    selected: list[ColumnElement[Any]] = [
        (table.c.bucket - table.c.bucket % coarsen_to).label("bucket")
        if name == "bucket" and coarsen_to
        else table.c[name]
        for name in columns
    ]
    conditions: list[ColumnElement[bool]] = [
        table.c.tenant == tenant,
        table.c.bucket >= start_bucket,
        table.c.bucket < end,
    ]
    if api_id is not None:
        conditions.append(table.c.api_id == api_id)
    if application_id is not None:
        conditions.append(table.c.application_id == application_id)
    if owners is not None:
        owned = select(applications.c.application_id).where(
            applications.c.tenant == tenant, applications.c.application_owner.in_(list(owners))
        )
        conditions.append(table.c.application_id.in_(owned))
    return select(*selected).where(*conditions)


async def api_names(session: AsyncSession, tenant: str, ids: Collection[str]) -> dict[str, Any]:
    if not ids:
        return {}
    query = select(apis.c.api_id, apis.c.api_name, apis.c.api_version).where(
        apis.c.tenant == tenant, apis.c.api_id.in_(list(ids))
    )
    return {row.api_id: row for row in (await session.execute(query)).all()}


async def application_names(
    session: AsyncSession, tenant: str, ids: Collection[str]
) -> dict[str, str | None]:
    if not ids:
        return {}
    query = select(applications.c.application_id, applications.c.application_name).where(
        applications.c.tenant == tenant, applications.c.application_id.in_(list(ids))
    )
    return {row.application_id: row.application_name for row in (await session.execute(query)).all()}
