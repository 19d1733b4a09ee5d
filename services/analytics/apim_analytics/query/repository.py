"""All SQL of the query API: sums of rollup rows grouped by the asked dimensions, and names."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.rollups.models import MEASURE_COLUMNS, ROLLUPS, Granularity, apis, applications


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
) -> Sequence[RowMapping]:
    """The sum of each of ``measures`` (rollup columns) per group of ``group_by``, ordered by
    ``request_count`` unless along time; ``owners`` limits to their applications."""
    table = ROLLUPS[granularity]
    groups = [table.c[name] for name in group_by]
    summed = [func.sum(table.c[name]).label(name) for name in measures if name in MEASURE_COLUMNS]
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
    query = select(*groups, *summed).where(*conditions)
    if groups:
        query = query.group_by(*groups)
    if order_by_time:
        query = query.order_by(table.c.bucket, *(g for g in groups if g.name != "bucket"))
    else:
        query = query.order_by(desc(func.sum(table.c.request_count)), *groups)
    return (await session.execute(query.limit(limit))).mappings().all()


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
