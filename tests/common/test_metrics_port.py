"""Prometheus /metrics answers on a listener of its own, never on a service's public port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.settings import ServiceSettings
from apim_common.telemetry import metrics_listener
from apim_standalone.composition import ControlPlane


def settings(**overrides: Any) -> ServiceSettings:
    return ServiceSettings(mode="development", log_json=False, **overrides)


@pytest.fixture
async def service() -> AsyncIterator[FastAPI]:
    app = build_service_app(ServiceSpec("probe", "Probe", ["/probe"]), settings(metrics_port=0))
    async with LifespanManager(app):
        yield app


async def test_a_service_does_not_answer_metrics_on_its_public_port(service: Any) -> None:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as public:
        await public.get("/probe/health")
        r = await public.get("/metrics")
    assert r.status_code == 404
    assert "apim_http_requests" not in r.text


async def test_a_service_serves_metrics_on_its_own_port(service: Any) -> None:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as public:
        await public.get("/probe/health")
    port = service.state.metrics_port
    async with httpx.AsyncClient() as scraper:
        r = await scraper.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert 'apim_http_requests_total{method="GET",service="probe",status="200"}' in r.text


async def test_no_metrics_listener_is_opened_unless_a_port_is_set() -> None:
    app = build_service_app(ServiceSpec("quiet", "Quiet", ["/quiet"]), settings())
    async with LifespanManager(app):
        assert getattr(app.state, "metrics_port", None) is None


async def test_the_metrics_listener_answers_nothing_but_metrics() -> None:
    async with metrics_listener("127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper:
            assert (await scraper.get("/")).status_code == 404
            assert (await scraper.post("/metrics")).status_code == 404
            assert (await scraper.get("/metrics?name[]=x")).status_code == 200


async def test_the_standalone_control_plane_does_not_answer_metrics() -> None:
    app = FastAPI()
    app.state.service_name = "probe"
    app.state.path_prefixes = ("/probe",)
    transport = httpx.ASGITransport(app=ControlPlane([app]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as public:
        assert (await public.get("/health")).status_code == 200
        r = await public.get("/metrics")
    assert r.status_code == 404
