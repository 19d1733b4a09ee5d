"""The gateway's endpoint deny-list: a backend that is, or resolves to, a denied address (the cloud
metadata service by default) is refused when the connection would open, before any packet leaves.
Traffic never goes anywhere but 127.0.0.1: the event loop's connect fails the test otherwise."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from apim_common.outbound import parse_networks
from apim_gateway.settings import Settings
from apim_gateway.upstream import EndpointDenied, Origin, UpstreamClient
from tests.gateway.conftest import Harness, pets_api

METADATA = parse_networks(Settings.model_fields["gateway_endpoint_deny"].default)


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the loop is asked to connect to; anything but 127.0.0.1 fails the test."""
    seen: list[str] = []
    original = asyncio.BaseEventLoop.create_connection

    async def create_connection(
        self: asyncio.BaseEventLoop, factory: Any, host: Any = None, *a: Any, **k: Any
    ) -> Any:
        seen.append(str(host))
        assert host == "127.0.0.1", f"a connection to {host} was attempted"
        return await original(self, factory, host, *a, **k)

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", create_connection)
    return seen


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    original = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: asyncio.BaseEventLoop, host: Any, port: Any, *a: Any, **k: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return await original(self, host, port, *a, **k)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)


async def test_the_metadata_service_is_denied_by_default_without_connecting(connects: list[str]) -> None:
    client = UpstreamClient(connect_timeout=1.0, deny=METADATA)
    with pytest.raises(EndpointDenied):
        await client.request(Origin.of("http", "169.254.169.254", 80), b"GET", b"/latest/meta-data/", [])
    await client.aclose()
    assert connects == []


async def test_a_name_resolving_to_a_denied_address_is_denied_without_connecting(
    connects: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, {"metadata.evil.test": "169.254.169.254"})
    client = UpstreamClient(connect_timeout=1.0, deny=METADATA)
    with pytest.raises(EndpointDenied):
        await client.request(Origin.of("http", "metadata.evil.test", 80), b"GET", b"/", [])
    await client.aclose()
    assert connects == []


async def test_the_connection_goes_to_the_address_that_was_checked(
    connects: list[str], monkeypatch: pytest.MonkeyPatch, backend_port: int
) -> None:
    fake_dns(monkeypatch, {"pets.backend.test": "127.0.0.1"})
    client = UpstreamClient(connect_timeout=1.0, deny=METADATA)
    response = await client.request(
        Origin.of("http", "pets.backend.test", backend_port), b"GET", b"/echo/x", []
    )
    echoed = json.loads(await response.read())
    await client.aclose()
    assert echoed["headers"]["host"] == f"pets.backend.test:{backend_port}"
    assert connects == ["127.0.0.1"]


async def test_an_api_whose_endpoint_is_the_metadata_service_gets_503_and_no_connection(
    harness: Harness, connects: list[str]
) -> None:
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = {
        "endpoint_type": "http",
        "production_endpoints": {"url": "http://169.254.169.254/latest/meta-data"},
    }
    assert harness.gateway.state.deploy(api)
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 503
    assert r.json()["code"] == "101503"
    assert "deny-list" in r.json()["description"]
    assert connects == []


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"gateway_endpoint_deny": "169.254.0.0/16,127.0.0.0/8"}


async def test_an_operator_can_deny_further_networks(harness: Harness, connects: list[str]) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 503
    assert "deny-list" in r.json()["description"]
    assert connects == []
