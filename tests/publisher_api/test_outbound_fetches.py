"""Fetches a publisher aims (validate-endpoint, OpenAPI and WSDL by URL) reach public hosts only.

Traffic never leaves loopback: the app's clients are swapped for ones whose transport fails the
test if a connection to anything but 127.0.0.1 is ever attempted, so on code without the guard
these tests fail instead of reaching the metadata service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from apim_common.outbound import GuardedTransport, OutboundPolicy, guarded_client
from tests.publisher_api.conftest import BASE, Publisher
from tests.support.local_http import Canned, LoopbackOnly, local_server

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


@pytest.fixture
async def wire(publisher: Publisher) -> AsyncIterator[LoopbackOnly]:
    """The publisher's outbound client with the app's own policy, over a loopback-only transport."""
    app = publisher.app
    original = app.state.http, app.state.outbound
    assert isinstance(app.state.outbound._transport, GuardedTransport)
    transport = LoopbackOnly()
    policy = OutboundPolicy.from_settings(app.state.settings)
    app.state.outbound = guarded_client(policy, transport=transport)
    app.state.http = httpx.AsyncClient(transport=LoopbackOnly())  # so unguarded code fails too
    yield transport
    await app.state.outbound.aclose()
    await app.state.http.aclose()
    app.state.http, app.state.outbound = original


async def test_validate_endpoint_refuses_the_metadata_service_without_connecting(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/validate-endpoint", params={"endpointUrl": METADATA}, headers=publisher.auth()
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Outbound address not allowed"
    assert wire.hosts == []


async def test_validate_endpoint_refuses_a_private_address_without_connecting(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/validate-endpoint",
        params={"endpointUrl": "http://10.0.0.1:8080/admin"},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert wire.hosts == []


async def test_validate_endpoint_does_not_follow_a_redirect(publisher: Publisher, wire: LoopbackOnly) -> None:
    async with local_server({"/hop": Canned(302, headers={"Location": METADATA})}) as server:
        response = await publisher.client.post(
            f"{BASE}/apis/validate-endpoint",
            params={"endpointUrl": server.url("/hop")},
            headers=publisher.auth(),
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"statusCode": 302, "statusMessage": "Found", "error": ""}
    assert server.seen == ["/hop"]
    assert wire.hosts == ["127.0.0.1"]


async def test_validate_endpoint_answers_reachable_or_not_and_nothing_more(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    async with local_server({"/up": Canned(200, b"secret body", {"X-Internal": "secret"})}) as server:
        up = await publisher.client.post(
            f"{BASE}/apis/validate-endpoint",
            params={"endpointUrl": server.url("/up")},
            headers=publisher.auth(),
        )
        closed_port = server.port
    down = await publisher.client.post(
        f"{BASE}/apis/validate-endpoint",
        params={"endpointUrl": f"http://127.0.0.1:{closed_port}/"},
        headers=publisher.auth(),
    )
    assert up.json() == {"statusCode": 200, "statusMessage": "OK", "error": ""}
    assert down.json() == {
        "statusCode": 0,
        "statusMessage": "Unreachable",
        "error": "The endpoint did not answer",
    }


async def test_import_openapi_by_url_refuses_a_redirect_to_the_metadata_service(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    async with local_server({"/spec.json": Canned(302, headers={"Location": METADATA})}) as server:
        response = await publisher.client.post(
            f"{BASE}/apis/import-openapi", data={"url": server.url("/spec.json")}, headers=publisher.auth()
        )
    assert response.status_code == 400, response.text
    assert "link-local" in response.json()["description"]
    assert wire.hosts == ["127.0.0.1"]


async def test_validate_openapi_by_url_refuses_a_private_address(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/validate-openapi",
        data={"url": "http://192.168.0.10/openapi.yaml"},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert wire.hosts == []


async def test_a_definition_by_url_is_read_up_to_its_size_limit(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    huge = b"{" + b" " * (5 * 1024 * 1024 + 10) + b"}"
    async with local_server({"/huge.json": Canned(200, huge)}) as server:
        response = await publisher.client.post(
            f"{BASE}/apis/validate-openapi", data={"url": server.url("/huge.json")}, headers=publisher.auth()
        )
    assert response.status_code == 400, response.text
    assert "larger than" in response.json()["description"]


async def test_validate_wsdl_by_url_refuses_the_metadata_service_without_connecting(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/validate-wsdl", data={"url": METADATA}, headers=publisher.auth()
    )
    assert response.status_code == 400, response.text
    assert wire.hosts == []


async def test_validate_wsdl_by_url_refuses_a_redirect_to_a_private_address(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    async with local_server(
        {"/calc.wsdl": Canned(301, headers={"Location": "http://10.1.2.3/x.wsdl"})}
    ) as server:
        response = await publisher.client.post(
            f"{BASE}/apis/validate-wsdl", data={"url": server.url("/calc.wsdl")}, headers=publisher.auth()
        )
    assert response.status_code == 400, response.text
    assert wire.hosts == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/apis/validate-openapi", "url"),
        ("/apis/validate-wsdl", "url"),
        ("/apis/validate-endpoint", "endpointUrl"),
    ],
)
@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/x"])
async def test_an_unparsable_url_is_a_400_naming_the_field(
    publisher: Publisher, wire: LoopbackOnly, path: str, field: str, url: str
) -> None:
    if field == "endpointUrl":
        response = await publisher.client.post(f"{BASE}{path}", params={field: url}, headers=publisher.auth())
    else:
        response = await publisher.client.post(f"{BASE}{path}", data={field: url}, headers=publisher.auth())
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(f"{field} is not a valid URL")
    assert wire.hosts == []
