"""AsyncAPI definitions: validated, kept with an API, refused when malformed."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, Publisher

ASYNCAPI = """asyncapi: 2.6.0
info: {title: Orders, version: 1.0.0}
servers:
  production: {url: "wss://orders.example.com/ws", protocol: wss}
channels:
  /orders: {subscribe: {message: {payload: {type: object}}}}
"""


async def test_validate_asyncapi_summarises_a_definition(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/validate-asyncapi", data={"inlineAPIDefinition": ASYNCAPI}, headers=publisher.auth()
    )
    body = response.json()
    assert body["isValid"] is True
    assert (body["info"]["name"], body["info"]["protocol"], body["info"]["asyncAPIVersion"]) == (
        "Orders",
        "WS",
        "2.6.0",
    )
    broken = await publisher.client.post(
        f"{BASE}/apis/validate-asyncapi",
        data={"inlineAPIDefinition": "asyncapi: 1.0\ninfo: {}"},
        headers=publisher.auth(),
    )
    assert broken.json()["isValid"] is False
    assert [e["description"] for e in broken.json()["errors"]] == [
        "asyncapi: version '1.0' is not supported; use one of 2.0.0, 2.1.0, 2.2.0, 2.3.0, 2.4.0, 2.5.0, "
        "2.6.0, 3.0.0"
    ]


async def test_an_apis_asyncapi_definition_is_stored_and_read_back(publisher: Publisher) -> None:
    api = await publisher.create_api({"type": "WS", "operations": [], "endpointConfig": None})
    url = f"{BASE}/apis/{api['id']}/asyncapi"
    assert (await publisher.client.get(url, headers=publisher.auth())).status_code == 404
    put = await publisher.client.put(url, data={"apiDefinition": ASYNCAPI}, headers=publisher.auth())
    assert put.status_code == 200, put.text
    assert (await publisher.client.get(url, headers=publisher.auth())).json()["info"]["title"] == "Orders"
    refused = await publisher.client.put(url, data={"apiDefinition": "nope: 1"}, headers=publisher.auth())
    assert refused.status_code == 400
    topics = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert [(op["verb"], op["target"]) for op in topics["operations"]] == [("SUBSCRIBE", "/orders")]
    http_api = await publisher.create_api({"name": "Menu", "context": "/menu"})
    not_streaming = await publisher.client.put(
        f"{BASE}/apis/{http_api['id']}/asyncapi", data={"apiDefinition": ASYNCAPI}, headers=publisher.auth()
    )
    assert not_streaming.status_code == 400
