"""How ``run_service`` has uvicorn serve a service, and what a service app does on each request."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry import _logs, metrics, trace
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from apim_common.app import ServiceSpec, build_service_app
from apim_common.runner import server_options
from apim_common.settings import ServiceSettings


def _settings(port: int = 9443) -> ServiceSettings:
    return ServiceSettings(mode="development", host="127.0.0.1", port=port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _client_seen(peer: str, forwarded_for: str) -> str:
    """The client address the service app is handed for a request from ``peer``."""
    seen: list[str] = []

    async def service(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["client"][0])

    config = uvicorn.Config(service, **server_options(_settings()))
    config.load()
    scope = {
        "type": "http",
        "client": (peer, 40000),
        "scheme": "http",
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
    }
    await config.loaded_app(scope, None, None)
    return seen[0]


@pytest.fixture
def service_app() -> FastAPI:
    return build_service_app(ServiceSpec(name="test", title="Test", prefixes=("/api/test/v1",)), _settings())


@pytest.fixture
async def served(service_app: FastAPI) -> AsyncIterator[str]:
    """The service app under uvicorn with ``run_service``'s options, on a free port."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(service_app, **{**server_options(_settings(port)), "lifespan": "off"})
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_service_answers_with_a_date_and_without_a_server_header(served: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{served}/health")
    assert r.status_code == 200
    assert "date" in r.headers
    assert "server" not in r.headers


async def test_forwarded_for_is_believed_from_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert await _client_seen("127.0.0.1", "203.0.113.9") == "203.0.113.9"


async def test_forwarded_for_is_believed_from_a_configured_proxy_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.7")
    assert await _client_seen("10.0.0.7", "203.0.113.9") == "203.0.113.9"
    assert await _client_seen("127.0.0.1", "203.0.113.9") == "127.0.0.1"


async def test_with_no_proxy_trusted_no_middleware_reads_forwarded_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "")
    config = uvicorn.Config(FastAPI(), **server_options(_settings()))
    config.load()
    assert not isinstance(config.loaded_app, ProxyHeadersMiddleware)
    assert await _client_seen("127.0.0.1", "203.0.113.9") == "127.0.0.1"


async def test_a_request_does_not_consult_opentelemetry_providers(
    service_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI's native telemetry read the three global providers (and os.environ) on every request.
    consulted: list[str] = []
    for module, getter in (
        (trace, "get_tracer_provider"),
        (metrics, "get_meter_provider"),
        (_logs, "get_logger_provider"),
    ):
        original = getattr(module, getter)

        def counted(*args: Any, _original: Any = original, _name: str = getter) -> Any:
            consulted.append(_name)
            return _original(*args)

        monkeypatch.setattr(module, getter, counted)
    transport = httpx.ASGITransport(app=service_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        r = await http.get("/health")
    assert r.status_code == 200
    assert consulted == []
