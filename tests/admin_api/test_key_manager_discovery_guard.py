"""Key manager discovery reads a well-known document from public hosts only, without following a
redirect into the private network; traffic never leaves loopback here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from apim_common.outbound import OutboundPolicy, guarded_client
from tests.admin_api.harness import WELL_KNOWN, Admin
from tests.support.local_http import Canned, LoopbackOnly, local_server


@pytest.fixture
async def wire(admin: Admin) -> AsyncIterator[LoopbackOnly]:
    app = admin.app
    original = app.state.http, app.state.outbound
    transport = LoopbackOnly()
    app.state.outbound = guarded_client(OutboundPolicy.from_settings(app.state.settings), transport=transport)
    app.state.http = httpx.AsyncClient(transport=LoopbackOnly())  # so unguarded code fails too
    yield transport
    await app.state.outbound.aclose()
    await app.state.http.aclose()
    app.state.http, app.state.outbound = original


async def test_discovery_refuses_the_metadata_service_without_connecting(
    admin: Admin, wire: LoopbackOnly
) -> None:
    url = "http://169.254.169.254/latest/meta-data/"
    response = await admin.post("/key-managers/discover", data={"url": url, "type": "x"})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Outbound address not allowed"
    assert wire.hosts == []


async def test_discovery_refuses_a_redirect_to_a_private_address(admin: Admin, wire: LoopbackOnly) -> None:
    routes = {"/.well-known/openid-configuration": Canned(302, headers={"Location": "http://10.0.0.7/wk"})}
    async with local_server(routes) as server:
        url = server.url("/.well-known/openid-configuration")
        response = await admin.post("/key-managers/discover", data={"url": url, "type": "x"})
    assert response.status_code == 400, response.text
    assert wire.hosts == ["127.0.0.1"]


async def test_discovery_reads_a_local_well_known_document_in_development(
    admin: Admin, wire: LoopbackOnly
) -> None:
    routes = {"/.well-known/openid-configuration": Canned(200, json.dumps(WELL_KNOWN).encode())}
    async with local_server(routes) as server:
        url = server.url("/.well-known/openid-configuration")
        response = await admin.post("/key-managers/discover", data={"url": url, "type": "KeyCloak"})
    assert response.status_code == 200, response.text
    assert response.json()["value"]["issuer"] == WELL_KNOWN["issuer"]


async def test_discovery_of_an_oversized_document_is_not_valid(admin: Admin, wire: LoopbackOnly) -> None:
    routes = {"/big": Canned(200, b'{"issuer": "' + b"x" * (2 * 1024 * 1024) + b'"}')}
    async with local_server(routes) as server:
        response = await admin.post("/key-managers/discover", data={"url": server.url("/big"), "type": "x"})
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is False
