"""enableSchemaValidation is accepted where the gateway can honour it: HTTP APIs, which have an
OpenAPI definition."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, PIZZA, Publisher


async def test_schema_validation_on_a_non_http_api_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, "type": "WS", "endpointConfig": None, "enableSchemaValidation": True},
        headers=publisher.auth(),
    )
    assert response.status_code == 400
    assert "enableSchemaValidation" in response.json()["description"]


async def test_schema_validation_on_an_http_api_is_kept(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "enableSchemaValidation": True}, headers=publisher.auth()
    )
    assert response.status_code == 201
    assert response.json()["enableSchemaValidation"] is True
