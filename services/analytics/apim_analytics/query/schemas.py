"""The query API's surface: which metrics, along which dimensions, at which granularity.

Ours, not WSO2's: WSO2 4.3 has no analytics query REST API (its analytics leave the gateway for
Choreo, ELK or Moesif). The shape follows Konnect's analytics queries: ``metrics``, at most two
``dimensions``, a ``granularity`` and a time range.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from apim_analytics.rollups.models import Granularity
from apim_common.errors import BadRequest, ErrorListItem

MAX_DIMENSIONS = 2
# The most time buckets one answer may span along the time dimension.
MAX_TIME_POINTS = 10_000


class Dimension(StrEnum):
    API = "api"
    APPLICATION = "application"
    RESOURCE = "resource"
    STATUS_CODE = "statusCode"
    ERROR_TYPE = "errorType"
    TIME = "time"


class Metric(StrEnum):
    REQUEST_COUNT = "requestCount"
    ERROR_COUNT = "errorCount"
    ERROR_RATE = "errorRate"
    LATENCY_P50 = "latencyP50"
    LATENCY_P95 = "latencyP95"
    LATENCY_P99 = "latencyP99"
    BACKEND_LATENCY_P50 = "backendLatencyP50"
    BACKEND_LATENCY_P95 = "backendLatencyP95"
    BACKEND_LATENCY_P99 = "backendLatencyP99"
    GATEWAY_LATENCY_P50 = "gatewayLatencyP50"
    GATEWAY_LATENCY_P95 = "gatewayLatencyP95"
    GATEWAY_LATENCY_P99 = "gatewayLatencyP99"
    REQUEST_BYTES = "requestBytes"
    RESPONSE_BYTES = "responseBytes"
    CACHE_HIT_COUNT = "cacheHitCount"
    CACHE_HIT_RATIO = "cacheHitRatio"


@dataclass(frozen=True)
class AnalyticsQuery:
    metrics: tuple[Metric, ...]
    dimensions: tuple[Dimension, ...]
    granularity: Granularity
    start: float
    end: float
    api_id: str | None
    application_id: str | None
    limit: int
    # The rows are the ``limit`` highest by this metric (None: by request count, or along time).
    order_by: Metric | None = None


def _invalid(parameter: str, description: str) -> BadRequest:
    return BadRequest(
        f"Invalid {parameter}: {description}",
        errors=[ErrorListItem(code="400", message=parameter, description=description)],
    )


def _names(raw: str) -> list[str]:
    return [name.strip() for name in raw.split(",") if name.strip()]


def parse_metrics(raw: str) -> tuple[Metric, ...]:
    names = _names(raw)
    if not names:
        raise _invalid("metrics", "name at least one metric")
    known = {metric.value for metric in Metric}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise _invalid("metrics", f"unknown {', '.join(unknown)}; one of {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(Metric(name) for name in names))


def parse_order(raw: str | None) -> Metric | None:
    """``orderBy``: one metric, whose highest rows are answered."""
    if raw is None:
        return None
    known = {metric.value for metric in Metric}
    if raw not in known:
        raise _invalid("orderBy", f"unknown {raw}; one of {', '.join(sorted(known))}")
    return Metric(raw)


def parse_dimensions(raw: str) -> tuple[Dimension, ...]:
    names = _names(raw)
    known = {dimension.value for dimension in Dimension}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise _invalid("dimensions", f"unknown {', '.join(unknown)}; one of {', '.join(sorted(known))}")
    dimensions = tuple(dict.fromkeys(Dimension(name) for name in names))
    if len(dimensions) > MAX_DIMENSIONS:
        raise _invalid("dimensions", f"at most {MAX_DIMENSIONS} dimensions")
    return dimensions


# Times a range may span: inside datetime's years with a day to spare for a bucket's start.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC).timestamp()
LATEST = datetime(9999, 12, 30, tzinfo=UTC).timestamp()


def time_range(start: datetime | None, end: datetime | None, granularity: Granularity) -> tuple[float, float]:
    """The range as epoch seconds; naive times are UTC; by default the last day (30 days by day)."""
    end_at = _epoch("to", end) if end is not None else None
    start_at = _epoch("from", start) if start is not None else None
    if end_at is None:
        end_at = time.time() if start_at is None else start_at + _default_span(granularity)
    if start_at is None:
        start_at = end_at - _default_span(granularity)
    for name, at in (("from", start_at), ("to", end_at)):
        if not EARLIEST <= at <= LATEST:
            raise _invalid(name, "must be between the years 1 and 9999, with the range")
    if start_at >= end_at:
        raise _invalid("from", "must be before to")
    return start_at, end_at


def _default_span(granularity: Granularity) -> float:
    return 30 * 86400.0 if granularity is Granularity.DAY else 86400.0


def _epoch(name: str, moment: datetime) -> float:
    try:
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
    except (OverflowError, ValueError) as exc:
        raise _invalid(name, "must be between the years 1 and 9999") from exc


class QueryResult(BaseModel):
    """One row per combination of the dimensions' values, with the metrics asked for."""

    model_config = ConfigDict(populate_by_name=True)

    granularity: Granularity
    from_: datetime = Field(alias="from")
    to: datetime
    dimensions: list[Dimension]
    metrics: list[Metric]
    count: int
    list: list[dict[str, Any]]
