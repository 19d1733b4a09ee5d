"""/api/am/throttle/v1 over HTTP with service tokens (in-memory counters, as in standalone mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from apim_common.security import INTERNAL_SCOPE
from apim_gateway.throttling import HttpThrottleTransport, ThrottleClient
from apim_throttle_sync.app import create_app
from apim_throttle_sync.settings import Settings
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

BASE = "/api/am/throttle/v1"


@pytest.fixture
async def client(tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(create_app, Settings(mode="development"), tokens) as (_, http):
        yield http


@pytest.fixture
def service_headers(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers("apim-internal-services", INTERNAL_SCOPE)


def _item(**overrides: Any) -> dict[str, Any]:
    return {"key": "sub:t:app:api", "limit": 10, "windowSeconds": 60, "want": 4, **overrides}


async def test_a_lease_batch_answers_a_grant_per_key(
    client: httpx.AsyncClient, service_headers: dict[str, str]
) -> None:
    body = {"gatewayId": "gw-1", "items": [_item(), _item(key="backend:t:api:production", want=50)]}
    r = await client.post(f"{BASE}/leases", json=body, headers=service_headers)
    assert r.status_code == 200, r.text
    grants = r.json()["grants"]
    assert [(g["key"], g["granted"], g["remaining"]) for g in grants] == [
        ("sub:t:app:api", 4, 6),
        ("backend:t:api:production", 5, 5),
    ]
    assert 0 < grants[0]["windowEndsInMs"] <= 60_000


async def test_leases_need_the_internal_scope(client: httpx.AsyncClient, tokens: TokenFactory) -> None:
    body = {"gatewayId": "gw-1", "items": [_item()]}
    r = await client.post(f"{BASE}/leases", json=body, headers=tokens.headers("admin", "apim:admin"))
    assert r.status_code == 403
    assert r.json()["code"] == 900910


async def test_leases_need_a_token(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{BASE}/leases", json={"gatewayId": "gw-1", "items": []})
    assert r.status_code == 401


async def test_heartbeats_need_the_internal_scope(client: httpx.AsyncClient, tokens: TokenFactory) -> None:
    r = await client.post(f"{BASE}/gateways/gw-1/heartbeat", headers=tokens.headers("bob", "apim:subscribe"))
    assert r.status_code == 403


async def test_a_malformed_lease_item_is_a_400(
    client: httpx.AsyncClient, service_headers: dict[str, str]
) -> None:
    body = {"gatewayId": "gw-1", "items": [_item(windowSeconds=0)]}
    r = await client.post(f"{BASE}/leases", json=body, headers=service_headers)
    assert r.status_code == 400


async def test_heartbeating_gateways_are_listed_and_counted(
    client: httpx.AsyncClient, service_headers: dict[str, str]
) -> None:
    for gateway in ("gw-a", "gw-b"):
        r = await client.post(f"{BASE}/gateways/{gateway}/heartbeat", headers=service_headers)
        assert r.status_code == 200
    assert r.json()["activeGateways"] == 2
    listed = (await client.get(f"{BASE}/gateways", headers=service_headers)).json()
    assert listed["count"] == 2
    assert {g["gatewayId"] for g in listed["list"]} == {"gw-a", "gw-b"}


async def test_gateway_clients_over_http_admit_exactly_the_limit(
    client: httpx.AsyncClient, service_headers: dict[str, str]
) -> None:
    async def headers() -> dict[str, str]:
        return service_headers

    gateways = [
        ThrottleClient(HttpThrottleTransport(client, "http://testserver", headers), gateway_id=f"http-gw-{i}")
        for i in range(3)
    ]
    for g in gateways:
        await g.start()
    try:
        admitted = 0
        for _ in range(40):
            for g in gateways:
                admitted += (await g.acquire("http-key", 50, 60)).admitted
        assert admitted == 50
        assert all(not g.fallback for g in gateways)
    finally:
        for g in gateways:
            await g.close()


async def test_an_unreachable_redis_answers_503_so_gateways_fall_back(
    tokens: TokenFactory, service_headers: dict[str, str]
) -> None:
    settings = Settings(
        mode="development", counter_backend="redis://127.0.0.1:1/0", redis_timeout_seconds=0.2
    )
    async with running_service(create_app, settings, tokens) as (_, http):
        body = {"gatewayId": "gw-1", "items": [_item()]}
        r = await http.post(f"{BASE}/leases", json=body, headers=service_headers)
        assert r.status_code == 503
        heartbeat = await http.post(f"{BASE}/gateways/gw-1/heartbeat", headers=service_headers)
        assert heartbeat.status_code == 503
