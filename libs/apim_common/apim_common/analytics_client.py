"""Reading the analytics service's rollups from another service (its internal query API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from apim_common.service_auth import ServiceTokenProvider

INTERNAL_QUERY_PATH = "/api/am/analytics/v1/internal/query"
# The most rows one answer holds (the analytics service's own bound).
MAX_ROWS = 10_000


def internal_query_url(analytics_url: str) -> str:
    return f"{analytics_url.rstrip('/')}{INTERNAL_QUERY_PATH}"


class AnalyticsUnavailable(RuntimeError):
    """The analytics service did not answer, or refused the query."""


async def request_counts(
    http: httpx.AsyncClient,
    tokens: ServiceTokenProvider,
    analytics_url: str,
    *,
    tenant: str,
    start: datetime,
    end: datetime,
) -> dict[tuple[str, str], int]:
    """Calls per (API id, application id) of ``tenant`` in [start, end), from the hourly rollups."""
    params: dict[str, Any] = {
        "tenant": tenant,
        "metrics": "requestCount",
        "dimensions": "api,application",
        "granularity": "hour",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "limit": MAX_ROWS,
    }
    try:
        response = await http.get(
            internal_query_url(analytics_url), params=params, headers=await tokens.headers()
        )
    except httpx.HTTPError as exc:
        raise AnalyticsUnavailable(f"the analytics service did not answer: {exc}") from exc
    if response.status_code >= 400:
        raise AnalyticsUnavailable(f"the analytics service answered HTTP {response.status_code}")
    counts: dict[tuple[str, str], int] = {}
    for row in response.json()["list"]:
        key = (str(row.get("apiId") or ""), str(row.get("applicationId") or ""))
        counts[key] = counts.get(key, 0) + int(row.get("requestCount") or 0)
    return counts
