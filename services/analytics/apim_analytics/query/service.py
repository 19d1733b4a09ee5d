"""Answering a query: what the caller may see, the sums per group, and metrics from them.

Who sees what (the rows carry the tenant from the event's envelope, and the application's owner
as the gateway reported it):

- ``apim:admin``: every row of its tenant;
- ``apim:api_view`` (a publisher or creator): every API of its tenant, as the Publisher lists
  them to it;
- ``apim:subscribe`` (a developer): only the rows of applications it owns (``applicationOwner``
  equal to its username, with or without its tenant's domain).

A caller never sees another tenant's rows. Another service (scope ``apim:internal``, e.g. the
Developer Portal answering a subscription's usage) names the tenant and has checked who may see
what itself: ``run_for`` reads the tenant's rows the query selects.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from apim_analytics.query import repository
from apim_analytics.query.schemas import MAX_TIME_POINTS, AnalyticsQuery, Dimension, Metric, QueryResult
from apim_analytics.rollups.histogram import percentile
from apim_analytics.rollups.models import CACHE_HIT_COLUMN, HISTOGRAM_COLUMNS, SECONDS
from apim_common.errors import BadRequest, ErrorListItem, Forbidden
from apim_common.security import Principal

ADMIN_SCOPE = "apim:admin"
PUBLISHER_SCOPE = "apim:api_view"
DEVELOPER_SCOPE = "apim:subscribe"
READER_SCOPES = (ADMIN_SCOPE, PUBLISHER_SCOPE, DEVELOPER_SCOPE)

# The rollup columns each dimension groups by: a resource belongs to its API.
GROUP_COLUMNS: dict[Dimension, tuple[str, ...]] = {
    Dimension.API: ("api_id",),
    Dimension.APPLICATION: ("application_id",),
    Dimension.RESOURCE: ("api_id", "resource"),
    Dimension.STATUS_CODE: ("status_code",),
    Dimension.ERROR_TYPE: ("error_type",),
    Dimension.TIME: ("bucket",),
}

Sums = dict[str, int]


def _histogram(name: str) -> Callable[[Sums], list[int]]:
    columns = HISTOGRAM_COLUMNS[name]
    return lambda sums: [sums[column] for column in columns]


def _rate(sums: Sums) -> float | None:
    requests = sums["request_count"]
    return sums["error_count"] / requests if requests else None


def _cache_hit_ratio(sums: Sums) -> float | None:
    requests = sums["request_count"]
    return sums[CACHE_HIT_COLUMN] / requests if requests else None


def _percentile(name: str, q: float) -> Callable[[Sums], float | None]:
    histogram = _histogram(name)

    def metric(sums: Sums) -> float | None:
        value = percentile(histogram(sums), q)
        return None if value is None else round(value, 3)

    return metric


METRICS: dict[Metric, Callable[[Sums], int | float | None]] = {
    Metric.REQUEST_COUNT: lambda sums: sums["request_count"],
    Metric.ERROR_COUNT: lambda sums: sums["error_count"],
    Metric.ERROR_RATE: _rate,
    Metric.REQUEST_BYTES: lambda sums: sums["request_bytes"],
    Metric.RESPONSE_BYTES: lambda sums: sums["response_bytes"],
    Metric.CACHE_HIT_COUNT: lambda sums: sums[CACHE_HIT_COLUMN],
    Metric.CACHE_HIT_RATIO: _cache_hit_ratio,
}
# The rollup columns each metric is computed from: a query sums only those it needs.
COLUMNS: dict[Metric, tuple[str, ...]] = {
    Metric.REQUEST_COUNT: ("request_count",),
    Metric.ERROR_COUNT: ("error_count",),
    Metric.ERROR_RATE: ("request_count", "error_count"),
    Metric.REQUEST_BYTES: ("request_bytes",),
    Metric.RESPONSE_BYTES: ("response_bytes",),
    Metric.CACHE_HIT_COUNT: (CACHE_HIT_COLUMN,),
    Metric.CACHE_HIT_RATIO: ("request_count", CACHE_HIT_COLUMN),
}
for _prefix, _histogram_name in (
    ("latency", "total"),
    ("backendLatency", "backend"),
    ("gatewayLatency", "gateway"),
):
    for _q in (50, 95, 99):
        METRICS[Metric(f"{_prefix}P{_q}")] = _percentile(_histogram_name, _q / 100)
        COLUMNS[Metric(f"{_prefix}P{_q}")] = tuple(HISTOGRAM_COLUMNS[_histogram_name])


def owners_visible_to(principal: Principal) -> list[str] | None:
    """The application owners whose rows ``principal`` may read; None for all of its tenant."""
    if principal.scopes & {ADMIN_SCOPE, PUBLISHER_SCOPE}:
        return None
    if DEVELOPER_SCOPE in principal.scopes:
        username = principal.username
        return list(dict.fromkeys([username, username.removesuffix(f"@{principal.tenant}")]))
    raise Forbidden(
        f"one of these scopes is needed: {', '.join(READER_SCOPES)}",
        message="Insufficient scope",
        code=900910,
    )


def _check_span(query: AnalyticsQuery) -> None:
    if Dimension.TIME not in query.dimensions:
        return
    points = math.ceil((query.end - query.start) / SECONDS[query.granularity])
    if points > MAX_TIME_POINTS:
        description = (
            f"{points} {query.granularity.value}s between from and to; at most {MAX_TIME_POINTS} along time"
        )
        raise BadRequest(
            description, errors=[ErrorListItem(code="400", message="granularity", description=description)]
        )


async def run(session: AsyncSession, principal: Principal, query: AnalyticsQuery) -> QueryResult:
    return await run_for(session, principal.tenant, owners_visible_to(principal), query)


async def run_for(
    session: AsyncSession, tenant: str, owners: list[str] | None, query: AnalyticsQuery
) -> QueryResult:
    """The query over ``tenant``'s rows, of the applications of ``owners`` (None: all of them)."""
    _check_span(query)
    seconds = SECONDS[query.granularity]
    group_by = list(dict.fromkeys(column for d in query.dimensions for column in GROUP_COLUMNS[d]))
    measures = list(dict.fromkeys(column for metric in query.metrics for column in COLUMNS[metric]))

    async def sums(
        measures: list[str], limit: int, among: list[tuple[Any, ...]] | None = None
    ) -> Sequence[RowMapping]:
        return await repository.sums(
            session,
            query.granularity,
            tenant=tenant,
            start_bucket=int(query.start // seconds * seconds),
            end=query.end,
            group_by=group_by,
            measures=measures,
            api_id=query.api_id,
            application_id=query.application_id,
            owners=owners,
            order_by_time=Dimension.TIME in query.dimensions and query.order_by is None,
            limit=limit,
            among=among,
        )

    if query.order_by is None:
        rows = await sums(measures, query.limit)
    else:
        rows = await _highest(sums, group_by, measures, query.order_by, query.limit)
    items = await _items(session, tenant, query, rows)
    return QueryResult(
        granularity=query.granularity,
        from_=datetime.fromtimestamp(query.start, UTC),
        to=datetime.fromtimestamp(query.end, UTC),
        dimensions=list(query.dimensions),
        metrics=list(query.metrics),
        count=len(items),
        list=items,
    )


# Groups ranked at most by ``orderBy`` (1,000 APIs of 5 resources each, with room).
RANKED_GROUPS = 100_000
# The query's sums of some measures: (measures, limit, among) -> rows.
SumsQuery = Callable[..., Awaitable[Sequence[RowMapping]]]


async def _highest(
    sums: SumsQuery, group_by: list[str], measures: list[str], order_by: Metric, limit: int
) -> list[RowMapping]:
    """The ``limit`` groups highest by ``order_by``: ranked from only the columns ``order_by`` needs
    (20 of a latency page's 60 histogram columns), then the other measures of those groups only."""
    ranking = await sums(list(COLUMNS[order_by]), RANKED_GROUPS)
    metric = METRICS[order_by]
    scored = [(metric(_sums_of(row)), index, row) for index, row in enumerate(ranking)]
    # Highest first; groups without a value (no latency recorded) after every other.
    scored.sort(key=lambda entry: (entry[0] is None, -(entry[0] or 0), entry[1]))
    top = [row for _, _, row in scored[:limit]]
    if not top or set(measures) <= set(COLUMNS[order_by]) | {"request_count"}:
        return top
    keys = [name for name in group_by if name != "bucket"]
    among = list(dict.fromkeys(tuple(row[name] for name in keys) for row in top)) if keys else None
    full = {tuple(row[name] for name in group_by): row for row in await sums(measures, RANKED_GROUPS, among)}
    ranked = (tuple(row[name] for name in group_by) for row in top)
    return [full[key] for key in ranked if key in full]  # (a group retention removed meanwhile is left out)


def _sums_of(values: RowMapping) -> Sums:
    return {name: int(values[name] or 0) for name in values if name not in GROUP_NAMES}


async def _items(
    session: AsyncSession, tenant: str, query: AnalyticsQuery, rows: Sequence[RowMapping]
) -> list[dict[str, Any]]:
    dimensions = set(query.dimensions)
    api_ids = {row["api_id"] for row in rows} if dimensions & {Dimension.API, Dimension.RESOURCE} else set()
    app_ids = (
        {row["application_id"] for row in rows if row["application_id"]}
        if Dimension.APPLICATION in dimensions
        else set()
    )
    api_rows = await repository.api_names(session, tenant, api_ids)
    app_names = await repository.application_names(session, tenant, app_ids)
    items: list[dict[str, Any]] = []
    for values in rows:
        item: dict[str, Any] = {}
        if Dimension.TIME in dimensions:
            item["time"] = datetime.fromtimestamp(values["bucket"], UTC).isoformat().replace("+00:00", "Z")
        if dimensions & {Dimension.API, Dimension.RESOURCE}:
            api = api_rows.get(values["api_id"])
            item["apiId"] = values["api_id"] or None
            item["apiName"] = api.api_name if api is not None else None
            item["apiVersion"] = api.api_version if api is not None else None
        if Dimension.RESOURCE in dimensions:
            item["resource"] = values["resource"] or None
        if Dimension.APPLICATION in dimensions:
            item["applicationId"] = values["application_id"] or None
            item["applicationName"] = app_names.get(values["application_id"])
        if Dimension.STATUS_CODE in dimensions:
            item["statusCode"] = values["status_code"]
        if Dimension.ERROR_TYPE in dimensions:
            item["errorType"] = values["error_type"] or None
        sums = _sums_of(values)
        for metric in query.metrics:
            item[metric.value] = METRICS[metric](sums)
        items.append(item)
    return items


GROUP_NAMES = frozenset(column for columns in GROUP_COLUMNS.values() for column in columns)
