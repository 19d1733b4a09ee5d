"""GET /api/am/analytics/v1/query over HTTP: metrics, dimensions, and who may read which rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from apim_analytics.app import create_app
from apim_analytics.settings import Settings
from apim_common.events import InProcessBus
from apim_common.events.topics import Topic
from tests.analytics.support import T0, request_event
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

QUERY = "/api/am/analytics/v1/query"
RANGE = {
    "from": datetime.fromtimestamp(T0 - 3600, UTC).isoformat(),
    "to": datetime.fromtimestamp(T0 + 3600, UTC).isoformat(),
}


@pytest.fixture
async def client(tokens: TokenFactory, sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    bus = InProcessBus()
    settings = Settings(mode="development", database_url=sqlite_url)
    async with running_service(create_app, settings, tokens, bus=bus) as (_, http):
        await bus.start()
        events = [
            # bob's application calls two APIs of the default tenant
            *(request_event(at=T0 + n) for n in range(8)),
            request_event(at=T0 + 61, proxyResponseCode=500, errorType="OTHER", responseLatency=800.0),
            request_event(at=T0 + 62, apiId="api-2", apiName="Orders", apiResourceTemplate="/orders"),
            # carol's application
            request_event(applicationId="app-9", applicationName="Mine", applicationOwner="carol"),
            # another tenant's API and application
            request_event(tenant="acme.com", apiId="api-x", applicationId="app-x", applicationOwner="bob"),
        ]
        for event in events:
            await bus.publish(str(Topic.ANALYTICS), event)
        await bus.drain()
        try:
            yield http
        finally:
            await bus.stop()


async def query(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> httpx.Response:
    return await client.get(QUERY, params={**RANGE, **params}, headers=headers)


async def test_request_counts_by_api_and_time(client: httpx.AsyncClient, tokens: TokenFactory) -> None:
    r = await query(
        client,
        tokens.headers("admin", "apim:admin"),
        metrics="requestCount,errorRate",
        dimensions="api,time",
        granularity="minute",
    )
    assert r.status_code == 200, r.text
    found = r.json()["list"]
    rows = [(i["time"], i["apiId"], i["apiName"], i["requestCount"], i["errorRate"]) for i in found]
    minute = datetime.fromtimestamp(T0, UTC).isoformat().replace("+00:00", "Z")
    next_minute = datetime.fromtimestamp(T0 + 60, UTC).isoformat().replace("+00:00", "Z")
    assert rows == [
        (minute, "api-1", "Pets", 9, 0.0),
        (next_minute, "api-1", "Pets", 1, 1.0),
        (next_minute, "api-2", "Orders", 1, 0.0),
    ]


async def test_latency_percentiles_are_read_from_the_histograms(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    r = await query(
        client,
        tokens.headers("admin", "apim:admin"),
        metrics="latencyP50,latencyP99,backendLatencyP50,gatewayLatencyP50",
        apiId="api-1",
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()["list"]
    assert 10 < row["latencyP50"] <= 20  # 12 ms, in the (10, 20] bucket
    assert 750 < row["latencyP99"] <= 1000  # the one 800 ms request
    assert 5 < row["backendLatencyP50"] <= 10
    assert 2 < row["gatewayLatencyP50"] <= 5


async def test_a_developer_reads_only_its_own_applications(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    r = await query(client, tokens.headers("carol", "apim:subscribe"), dimensions="application")
    assert r.status_code == 200, r.text
    assert [(i["applicationId"], i["requestCount"]) for i in r.json()["list"]] == [("app-9", 1)]
    r = await query(client, tokens.headers("carol", "apim:subscribe"), applicationId="app-1")
    assert r.json()["list"] == [{"requestCount": 0}]


async def test_an_admin_reads_every_application_of_its_tenant(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    r = await query(client, tokens.headers("admin", "apim:admin"), dimensions="application")
    assert sorted(i["applicationId"] for i in r.json()["list"]) == ["app-1", "app-9"]


async def test_a_publisher_does_not_read_another_tenants_apis(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    r = await query(client, tokens.headers("alice", "apim:api_view"), dimensions="api")
    assert sorted(i["apiId"] for i in r.json()["list"]) == ["api-1", "api-2"]
    r = await query(client, tokens.headers("alice", "apim:api_view", tenant="acme.com"), dimensions="api")
    assert [i["apiId"] for i in r.json()["list"]] == ["api-x"]


async def test_a_token_without_an_analytics_scope_is_refused(
    client: httpx.AsyncClient, tokens: TokenFactory
) -> None:
    r = await query(client, tokens.headers("eve", "apim:api_key"))
    assert r.status_code == 403
    assert r.json()["code"] == 900910


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"metrics": "requestCount,latencyP42"}, "latencyP42"),
        ({"dimensions": "api,application,time"}, "at most 2"),
        ({"dimensions": "country"}, "country"),
        ({"granularity": "week"}, "granularity"),
        ({"from": RANGE["to"], "to": RANGE["from"]}, "before"),
        ({"from": "2020-01-01T00:00:00Z", "dimensions": "time", "granularity": "minute"}, "at most 10000"),
        ({"limit": "0"}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"from": "0001-01-01T00:00:00-23:59"}, "between the years 1 and 9999"),
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-01T00:10:00Z"}, "between the years 1 and 9999"),
        ({"applicationId": "a" * 65}, "applicationId"),
        ({"orderBy": "slowness"}, "orderBy"),
    ],
)
async def test_bad_input_is_a_400_naming_it(
    client: httpx.AsyncClient, tokens: TokenFactory, params: dict[str, str], named: str
) -> None:
    r = await query(client, tokens.headers("admin", "apim:admin"), **params)
    assert r.status_code == 400, r.text
    assert named in r.text
