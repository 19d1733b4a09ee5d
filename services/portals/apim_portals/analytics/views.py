"""What each analytics page asks the query API, and how its answers become tables and charts.

Pure functions over the query API's JSON, so the pages' work can be measured without a server.
A chart is ``{"kind": "bar" | "line", "labels": [...], "series": [{"label", "values"}]}``,
drawn in the browser by ``static/js/analytics-charts.js``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The slowest APIs the latency page lists (WSO2's "top 10 slowest APIs").
SLOWEST = 10
# Bars one chart shows at most; the table below it lists every row.
CHART_BARS = 20


@dataclass(frozen=True)
class Period:
    key: str
    title: str
    seconds: int
    granularity: str


PERIODS = (
    Period("24h", "Last 24 hours", 86400, "hour"),
    Period("7d", "Last 7 days", 7 * 86400, "day"),
    Period("30d", "Last 30 days", 30 * 86400, "day"),
)
BY_PERIOD = {p.key: p for p in PERIODS}
DEFAULT_PERIOD = "7d"


def period_of(key: str) -> Period:
    return BY_PERIOD.get(key, BY_PERIOD[DEFAULT_PERIOD])


def params(period: Period, metrics: str, dimensions: str = "", now: float | None = None) -> dict[str, str]:
    end = time.time() if now is None else now
    start = end - period.seconds
    return {
        "metrics": metrics,
        "dimensions": dimensions,
        "granularity": period.granularity,
        "from": datetime.fromtimestamp(start, UTC).isoformat(),
        "to": datetime.fromtimestamp(end, UTC).isoformat(),
        "limit": "10000",
    }


def api_label(row: dict[str, Any]) -> str:
    name = row.get("apiName") or row.get("apiId") or "(unknown API)"
    version = row.get("apiVersion")
    return f"{name} {version}" if version else str(name)


def _bar(labels: list[str], *series: tuple[str, list[Any]]) -> dict[str, Any]:
    return {
        "kind": "bar",
        "labels": labels[:CHART_BARS],
        "series": [{"label": name, "values": values[:CHART_BARS]} for name, values in series],
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


# Overview: totals, requests and errors over time, the busiest APIs.

OVERVIEW_TOTALS = "requestCount,errorCount,errorRate,latencyP95,requestBytes,responseBytes"
OVERVIEW_SERIES = "requestCount,errorCount"
OVERVIEW_APIS = "requestCount,errorRate,latencyP95"
# The busiest APIs the overview lists.
BUSIEST = 5


def overview_apis_params(period: Period, now: float | None = None) -> dict[str, str]:
    """The busiest APIs only: ranked by request count, their latency histograms summed alone."""
    return {**params(period, OVERVIEW_APIS, "api", now), "orderBy": "requestCount", "limit": str(BUSIEST)}


def overview(totals: dict[str, Any], series: dict[str, Any], apis: dict[str, Any]) -> dict[str, Any]:
    total = (totals.get("list") or [{}])[0]
    points = series.get("list", [])
    busiest = apis.get("list", [])[:BUSIEST]
    return {
        "totals": total,
        "timeline": {
            "kind": "line",
            "labels": [p["time"] for p in points],
            "series": [
                {"label": "Requests", "values": [p.get("requestCount") or 0 for p in points]},
                {"label": "Errors", "values": [p.get("errorCount") or 0 for p in points]},
            ],
        },
        "busiest": [{**row, "label": api_label(row)} for row in busiest],
    }


# Traffic: requests by API, application or resource.

TRAFFIC_BY = {"api": "api", "application": "application", "resource": "resource"}
TRAFFIC_METRICS = "requestCount,errorCount,requestBytes,responseBytes"


def traffic_label(by: str, row: dict[str, Any]) -> str:
    if by == "application":
        return str(row.get("applicationName") or row.get("applicationId") or "(no application)")
    if by == "resource":
        return f"{api_label(row)} {row.get('resource') or '(no resource)'}"
    return api_label(row)


def traffic(by: str, answer: dict[str, Any]) -> dict[str, Any]:
    rows = [{**row, "label": traffic_label(by, row)} for row in answer.get("list", [])]
    chart = _bar([r["label"] for r in rows], ("Requests", [r.get("requestCount") or 0 for r in rows]))
    return {"rows": rows, "chart": chart}


# Errors: by category (WSO2's errorType) or status code; proxy versus target errors per API.

ERRORS_BY = {"category": "errorType", "status": "statusCode"}
ERRORS_METRICS = "requestCount,errorCount"


def errors(by: str, answer: dict[str, Any] | None, per_api: dict[str, Any]) -> dict[str, Any]:
    """``per_api`` along api and errorType; ``answer`` along statusCode (by category, None: the
    categories are the sums of ``per_api``, error counts being additive, which saves a query).

    A proxy error is one the gateway answered itself (it carries a fault category: AUTH,
    THROTTLED, TARGET_CONNECTIVITY, OTHER); a target error is an error status the backend sent.
    """
    field = ERRORS_BY[by]
    totals: dict[str, int] = {}
    for row in (answer if answer is not None else per_api).get("list", []):
        count = row.get("errorCount") or 0
        if not count:
            continue
        value = row.get(field)
        label = str(value) if value not in (None, "") else "(backend status)"
        totals[label] = totals.get(label, 0) + count
    kinds: list[dict[str, Any]] = [{"label": label, "errors": count} for label, count in totals.items()]
    kinds.sort(key=lambda k: -_number(k["errors"]))
    split: dict[str, dict[str, Any]] = {}
    for row in per_api.get("list", []):
        count = row.get("errorCount") or 0
        if not count:
            continue
        entry = split.setdefault(
            str(row.get("apiId")),
            {"label": api_label(row), "apiId": row.get("apiId"), "proxy": 0, "target": 0},
        )
        entry["proxy" if row.get("errorType") else "target"] += count
    apis = sorted(split.values(), key=lambda e: -(e["proxy"] + e["target"]))
    return {
        "kinds": kinds,
        "chart": _bar([k["label"] for k in kinds], ("Errors", [k["errors"] for k in kinds])),
        "apis": apis,
        "split_chart": _bar(
            [a["label"] for a in apis],
            ("Proxy errors", [a["proxy"] for a in apis]),
            ("Target errors", [a["target"] for a in apis]),
        ),
    }


# Latency: the slowest APIs by p95, with the backend's and the gateway's share.

LATENCY_METRICS = "requestCount,latencyP95,latencyP50,backendLatencyP95,gatewayLatencyP95"


def latency_params(period: Period, now: float | None = None) -> dict[str, str]:
    """The slowest APIs only: the query API ranks every API by p95 from its total histogram, then
    sums the other histograms of those ten alone (a third of the work of every API's three)."""
    return {**params(period, LATENCY_METRICS, "api", now), "orderBy": "latencyP95", "limit": str(SLOWEST)}


def latency(answer: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in answer.get("list", []) if r.get("latencyP95") is not None]
    rows.sort(key=lambda r: -_number(r.get("latencyP95")))
    slowest = [{**row, "label": api_label(row)} for row in rows[:SLOWEST]]
    return {
        "slowest": slowest,
        "chart": _bar(
            [r["label"] for r in slowest],
            ("Backend p95 (ms)", [r.get("backendLatencyP95") or 0 for r in slowest]),
            ("Gateway p95 (ms)", [r.get("gatewayLatencyP95") or 0 for r in slowest]),
        ),
    }
