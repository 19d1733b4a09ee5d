"""Server render time of the portals' analytics pages over 30 days of 1,000 APIs.

The analytics service (SQLite, as in ``make run``, then PostgreSQL from ``.infra/env``) holds day
rollups for 30 days of 1,000 APIs (two resources each, and per day a success, a backend 500 and a
refused 401 row: 186,000 rows), written straight into its tables. The portals run in this process
and reach the query API in-process (no network), as an admin reading the whole tenant. Each page (Overview,
Traffic by API, Errors, Latency, for the last 30 days) is fetched N times; beside it, the query API
calls that page makes, alone, measured in the same run: the rest is the portal's own work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".infra" / "env"
sys.path.insert(0, str(ROOT))

from apim_analytics.app import create_app as create_analytics  # noqa: E402
from apim_analytics.rollups.models import HISTOGRAM_COLUMNS, ROLLUPS, Granularity, apis  # noqa: E402
from apim_analytics.settings import Settings as AnalyticsSettings  # noqa: E402
from apim_portals.analytics import views  # noqa: E402
from apim_portals.app import create_app as create_portals  # noqa: E402
from apim_portals.client import ANALYTICS_QUERY, Platform  # noqa: E402
from apim_portals.sessions import COOKIE, Tokens  # noqa: E402
from apim_portals.settings import Settings as PortalsSettings  # noqa: E402
from tests.support.apps import static_verifier  # noqa: E402
from tests.support.tokens import TokenFactory  # noqa: E402

APIS = int(os.environ.get("BENCH_APIS", "1000"))
DAYS = 30
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
TENANT = "carbon.super"
PAGES = {
    "overview": "/admin/analytics?period=30d",
    "traffic": "/admin/analytics/traffic?period=30d&by=api",
    "errors": "/admin/analytics/errors?period=30d",
    "latency": "/admin/analytics/latency?period=30d",
}
PERIOD = views.BY_PERIOD["30d"]
EVERY_API_LATENCY = views.params(PERIOD, views.LATENCY_METRICS, "api")
QUERIES = {
    "overview": [
        views.params(PERIOD, views.OVERVIEW_TOTALS),
        views.params(PERIOD, views.OVERVIEW_SERIES, "time"),
        views.overview_apis_params(PERIOD),
    ],
    "traffic": [views.params(PERIOD, views.TRAFFIC_METRICS, "api")],
    "errors": [views.params(PERIOD, views.ERRORS_METRICS, "api,errorType")],
    "latency": [views.latency_params(PERIOD)],
}


def _row(
    bucket: int, api: int, resource: str, status: int, error: str, latency_bucket: int
) -> dict[str, Any]:
    count = 50 + api % 17 if status == 200 else 1 + api % 3
    row: dict[str, Any] = {
        "tenant": TENANT,
        "bucket": bucket,
        "api_id": f"api-{api:04d}",
        "application_id": f"app-{api % 50}",
        "resource": resource,
        "status_code": status,
        "error_type": error,
        "request_count": count,
        "error_count": 0 if status == 200 else count,
        "request_bytes": count * 200,
        "response_bytes": count * 1500,
        "cache_hit_count": 0,
    }
    for name, columns in HISTOGRAM_COLUMNS.items():
        index = latency_bucket if name != "gateway" else 2
        for i, column in enumerate(columns):
            row[column] = count if i == index else 0
    return row


async def populate(url: str) -> int:
    engine = create_async_engine(url)
    now = int(time.time())
    day = 86400
    rows = 0
    async with engine.begin() as connection:
        await connection.execute(
            insert(apis),
            [
                {
                    "tenant": TENANT,
                    "api_id": f"api-{i:04d}",
                    "api_name": f"Api{i:04d}",
                    "api_version": "1.0.0",
                    "api_creator": "admin",
                    "last_seen": now,
                }
                for i in range(APIS)
            ],
        )
        for d in range(DAYS + 1):
            bucket = (now - d * day) // day * day
            batch = [
                _row(bucket, api, resource, status, error, 3 + api % 14)
                for api in range(APIS)
                for resource in ("GET /items", "POST /items")
                for status, error in ((200, ""), (500, ""), (401, "AUTH"))
            ]
            await connection.execute(insert(ROLLUPS[Granularity.DAY]), batch)
            rows += len(batch)
    await engine.dispose()
    return rows


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(samples) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


async def main() -> None:
    # No key manager here: the services' revocation feed is not reachable, and need not be.
    logging.getLogger("apim_common.revocations").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (make run):")
        await run(f"sqlite+aiosqlite:///{Path(tmp) / 'analytics.db'}")
    if not ENV_FILE.exists():
        print("PostgreSQL: skipped, no .infra/env (make infra-up)")
        return
    server = dict(line.split("=", 1) for line in ENV_FILE.read_text().split() if "=" in line)
    url = make_url(server["APIM_TEST_POSTGRES_URL"])
    name = f"bench_portal_analytics_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("PostgreSQL (distributed mode):")
        await run(url.set(database=name).render_as_string(hide_password=False))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(url: str) -> None:
    tokens = TokenFactory()
    analytics = create_analytics(AnalyticsSettings(mode="development", database_url=url))
    settings = PortalsSettings(mode="development", analytics_url="http://analytics")
    portals = create_portals(settings)
    async with LifespanManager(analytics, startup_timeout=60) as service:
        analytics.state.token_verifier = static_verifier(tokens)
        started = time.perf_counter()
        rows = await populate(url)
        took = time.perf_counter() - started
        print(f"{rows:,} day rollup rows for {APIS:,} APIs over {DAYS} days in {took:.1f} s")
        async with (
            LifespanManager(portals, startup_timeout=60) as portal,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=service.app), base_url="http://analytics", timeout=120
            ) as api,
        ):
            portals.state.platform = Platform(api, settings)
            session_id, session = portals.state.sessions.create()
            token = tokens.mint("admin", "apim:admin", tenant=TENANT)
            session.username, session.tenant = "admin", TENANT
            session.tokens = Tokens(token, None, time.time() + 3600, frozenset({"apim:admin"}))
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=portal.app),
                base_url="http://portals",
                cookies={COOKIE: session_id},
                timeout=120,
            ) as browser:
                print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {REQUESTS} runs each")
                for name, path in PAGES.items():
                    pages: list[float] = []
                    calls: list[float] = []
                    for _ in range(REQUESTS + 2):
                        t0 = time.perf_counter()
                        r = await browser.get(path)
                        pages.append(time.perf_counter() - t0)
                        assert r.status_code == 200, r.text[:500]
                        assert "Api0" in r.text
                        t0 = time.perf_counter()
                        for params in QUERIES[name]:
                            answer = await api.get(ANALYTICS_QUERY, params=params, headers=headers)
                            assert answer.status_code == 200, answer.text
                        calls.append(time.perf_counter() - t0)
                    print(
                        f"  {name:9s} page: {_summary(pages[2:])}   "
                        f"reference, its query API calls alone: {_summary(calls[2:])}"
                    )
                # Before orderBy, the Latency page summed the three histograms of every API.
                every: list[float] = []
                for _ in range(REQUESTS + 2):
                    t0 = time.perf_counter()
                    answer = await api.get(ANALYTICS_QUERY, params=EVERY_API_LATENCY, headers=headers)
                    every.append(time.perf_counter() - t0)
                    assert answer.status_code == 200, answer.text
                print(f"  reference, latency over every API's three histograms: {_summary(every[2:])}")


if __name__ == "__main__":
    asyncio.run(main())
