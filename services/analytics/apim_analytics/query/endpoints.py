"""GET /api/am/analytics/v1/query: metrics along at most two dimensions (ours; WSO2 has no such API).

``/internal/query`` answers the same for another service (service token), over the tenant it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from apim_analytics.query import service
from apim_analytics.query.schemas import (
    AnalyticsQuery,
    QueryResult,
    parse_dimensions,
    parse_metrics,
    parse_order,
    time_range,
)
from apim_analytics.rollups.models import ID_LENGTH, TENANT_LENGTH, Granularity
from apim_common.db import SessionDep
from apim_common.security import InternalPrincipal, Principal, require_scopes

router = APIRouter(prefix="/api/am/analytics/v1", tags=["Analytics"])

Reader = Annotated[Principal, Depends(require_scopes(*service.READER_SCOPES))]
_ORDER_BY = "a metric: the limit rows highest by it, highest first (e.g. the 10 slowest APIs by latencyP95)"


def _spec(
    metrics: str,
    dimensions: str,
    granularity: Granularity,
    from_: datetime | None,
    to: datetime | None,
    api_id: str | None,
    application_id: str | None,
    limit: int,
    order_by: str | None,
) -> AnalyticsQuery:
    start, end = time_range(from_, to, granularity)
    return AnalyticsQuery(
        metrics=parse_metrics(metrics),
        dimensions=parse_dimensions(dimensions),
        granularity=granularity,
        start=start,
        end=end,
        api_id=api_id,
        application_id=application_id,
        limit=limit,
        order_by=parse_order(order_by),
    )


@router.get("/query", response_model=QueryResult)
async def query(
    session: SessionDep,
    principal: Reader,
    metrics: Annotated[
        str, Query(max_length=1000, description="comma-separated, e.g. requestCount,latencyP95")
    ] = ("requestCount"),
    dimensions: Annotated[str, Query(max_length=200, description="at most two, comma-separated")] = "",
    granularity: Granularity = Granularity.HOUR,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    apiId: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    applicationId: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    orderBy: Annotated[str | None, Query(max_length=100, description=_ORDER_BY)] = None,
) -> QueryResult:
    """Request counts, error rates, latency percentiles and bytes, of what the caller may see."""
    spec = _spec(metrics, dimensions, granularity, from_, to, apiId, applicationId, limit, orderBy)
    return await service.run(session, principal, spec)


@router.get("/internal/query", response_model=QueryResult, include_in_schema=False)
async def internal_query(
    session: SessionDep,
    _caller: InternalPrincipal,
    tenant: Annotated[str, Query(min_length=1, max_length=TENANT_LENGTH)],
    metrics: Annotated[str, Query(max_length=1000)] = "requestCount",
    dimensions: Annotated[str, Query(max_length=200)] = "",
    granularity: Granularity = Granularity.HOUR,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    apiId: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    applicationId: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    orderBy: Annotated[str | None, Query(max_length=100)] = None,
) -> QueryResult:
    """The same query for another service, which has checked what its caller may see."""
    spec = _spec(metrics, dimensions, granularity, from_, to, apiId, applicationId, limit, orderBy)
    return await service.run_for(session, tenant, None, spec)
