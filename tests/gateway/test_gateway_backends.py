"""Backends: failover, load balancing, circuit breaking, timeouts, streaming large bodies."""

from __future__ import annotations

from typing import Any

from tests.gateway.conftest import Harness, pets_api
from tests.support.processes import free_port


def _deploy(harness: Harness, endpoint_config: dict[str, Any]) -> None:
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = endpoint_config
    assert harness.gateway.state.deploy(api)


async def test_failover_goes_to_the_next_endpoint_when_the_first_is_down(harness: Harness) -> None:
    dead = free_port()
    _deploy(
        harness,
        {
            "endpoint_type": "failover",
            "production_endpoints": {"url": f"http://127.0.0.1:{dead}"},
            "production_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}/echo/failover"}],
        },
    )
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/failover/echo/1"


async def test_an_open_breaker_keeps_requests_off_a_dead_endpoint(harness: Harness) -> None:
    dead = free_port()
    _deploy(
        harness,
        {
            "endpoint_type": "failover",
            "production_endpoints": {"url": f"http://127.0.0.1:{dead}"},
            "production_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}/echo/failover"}],
        },
    )
    for _ in range(3):
        await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    group = harness.gateway.state.apis["api-pets"].backends["PRODUCTION"]
    primary = group.endpoints[0]
    assert primary.breaker.failures >= primary.breaker.threshold
    assert group.try_order()[0] is group.endpoints[1]


async def test_load_balancing_takes_the_endpoints_in_turn(harness: Harness) -> None:
    base = f"http://127.0.0.1:{harness.backend_port}"
    _deploy(
        harness,
        {
            "endpoint_type": "load_balance",
            "production_endpoints": [{"url": f"{base}/echo/a"}, {"url": f"{base}/echo/b"}],
        },
    )
    paths = [
        (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["path"]
        for _ in range(4)
    ]
    assert paths == ["/echo/a/echo/1", "/echo/b/echo/1", "/echo/a/echo/1", "/echo/b/echo/1"]


async def test_an_unreachable_backend_is_503_101503(harness: Harness) -> None:
    _deploy(
        harness, {"endpoint_type": "http", "production_endpoints": {"url": f"http://127.0.0.1:{free_port()}"}}
    )
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 503
    assert r.json()["code"] == "101503"


async def test_a_backend_slower_than_the_endpoint_timeout_is_504_101504(harness: Harness) -> None:
    _deploy(
        harness,
        {
            "endpoint_type": "http",
            "production_endpoints": {
                "url": f"http://127.0.0.1:{harness.backend_port}",
                "config": {"actionDuration": "200"},
            },
        },
    )
    r = await harness.client.get("/pets/1.0.0/slow?s=2", headers=harness.bearer())
    assert r.status_code == 504
    assert r.json()["code"] == "101504"


async def test_a_large_body_arrives_whole(harness: Harness) -> None:
    size = 3 * 1024 * 1024 + 17
    r = await harness.client.get(f"/pets/1.0.0/big?size={size}", headers=harness.bearer())
    assert r.status_code == 200
    assert len(r.content) == size


async def test_a_request_body_reaches_the_backend(harness: Harness) -> None:
    r = await harness.client.post("/pets/1.0.0/echo", headers=harness.bearer(), json={"name": "rex"})
    assert r.json()["body"] == '{"name":"rex"}'


async def test_the_backends_status_and_headers_come_back(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/status/418", headers=harness.bearer())
    assert r.status_code == 418
    assert r.headers["content-type"] == "application/json"
