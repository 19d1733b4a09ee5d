"""GET /api/am/analytics/v1/query: metrics along at most two dimensions (ours; WSO2 has no such API)."""

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
    time_range,
)
from apim_analytics.rollups.models import ID_LENGTH, Granularity
from apim_common.db import SessionDep
from apim_common.security import Principal, require_scopes

router = APIRouter(prefix="/api/am/analytics/v1", tags=["Analytics"])

Reader = Annotated[Principal, Depends(require_scopes(*service.READER_SCOPES))]


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
) -> QueryResult:
    """Request counts, error rates, latency percentiles and bytes, of what the caller may see."""
    start, end = time_range(from_, to, granularity)
    spec = AnalyticsQuery(
        metrics=parse_metrics(metrics),
        dimensions=parse_dimensions(dimensions),
        granularity=granularity,
        start=start,
        end=end,
        api_id=apiId,
        application_id=applicationId,
        limit=limit,
    )
    return await service.run(session, principal, spec)
