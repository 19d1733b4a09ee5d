"""A WS API's backend is a ws:// or wss:// endpoint; every other API's is http:// or https://."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, PIZZA, Publisher

CHAT = {
    "name": "Chat",
    "context": "/chat",
    "version": "1.0.0",
    "type": "WS",
    "policies": ["AsyncUnlimited"],
    "operations": [{"target": "/rooms", "verb": "SUBSCRIBE"}],
}


def ws_endpoints(url: str, endpoint_type: str = "ws") -> dict[str, Any]:
    return {"endpoint_type": endpoint_type, "production_endpoints": {"url": url}}


async def test_a_ws_api_takes_a_websocket_backend(publisher: Publisher) -> None:
    created = await publisher.client.post(
        f"{BASE}/apis",
        json={**CHAT, "endpointConfig": ws_endpoints("wss://chat.example.com/socket")},
        headers=publisher.auth(),
    )
    assert created.status_code == 201, created.text
    assert created.json()["endpointConfig"]["production_endpoints"]["url"] == "wss://chat.example.com/socket"


async def test_a_ws_api_with_an_http_backend_is_refused(publisher: Publisher) -> None:
    refused = await publisher.client.post(
        f"{BASE}/apis",
        json={**CHAT, "endpointConfig": ws_endpoints("https://chat.example.com", "http")},
        headers=publisher.auth(),
    )
    assert refused.status_code == 400, refused.text
    assert "ws:// or wss://" in refused.text


async def test_an_http_api_with_a_websocket_backend_is_refused(publisher: Publisher) -> None:
    refused = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, "endpointConfig": ws_endpoints("ws://backend.example.com", "http")},
        headers=publisher.auth(),
    )
    assert refused.status_code == 400, refused.text
    assert "http:// or https://" in refused.text
