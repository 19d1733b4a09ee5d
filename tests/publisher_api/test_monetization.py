"""Monetization: no billing provider can be configured, so enabling it is refused and nothing
answers a made-up revenue or usage; switched off, the field round-trips as WSO2 clients send it."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, Publisher
from tests.publisher_api.test_products import product_body, two_apis

BILLING = "no billing provider is configured"


def refused_for(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert BILLING in body["description"]
    assert any(item["message"].endswith(field) for item in body["error"]), body


async def test_enabling_monetization_is_refused(publisher: Publisher) -> None:
    created = await publisher.client.post(
        f"{BASE}/apis",
        json={
            "name": "Paid",
            "context": "/paid",
            "version": "1.0.0",
            "monetization": {"enabled": True, "properties": {"fixedPrice": "10"}},
        },
        headers=publisher.auth(),
    )
    refused_for(created, "monetization.enabled")
    api = await publisher.create_api()
    updated = await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "monetization": {"enabled": True}},
        headers=publisher.auth(),
    )
    refused_for(updated, "monetization.enabled")
    priced = await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**api, "monetization": {"enabled": False, "properties": {"fixedPrice": "10"}}},
        headers=publisher.auth(),
    )
    refused_for(priced, "monetization.properties")
    stored = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert stored.json()["monetization"]["enabled"] is False


async def test_monetize_endpoint_refuses_enabling(publisher: Publisher) -> None:
    api = await publisher.create_api()
    url = f"{BASE}/apis/{api['id']}"
    enabling = await publisher.client.post(
        f"{url}/monetize",
        json={"enabled": True, "properties": {"currencyType": "EUR"}},
        headers=publisher.auth(),
    )
    refused_for(enabling, "enabled")
    state = await publisher.client.get(f"{url}/monetization", headers=publisher.auth())
    assert state.json() == {"enabled": False, "properties": {}}
    disabling = await publisher.client.post(
        f"{url}/monetize", json={"enabled": False}, headers=publisher.auth()
    )
    assert disabling.status_code == 201, disabling.text
    assert disabling.json() == {"enabled": False, "properties": {}}


async def test_revenue_is_not_answered_with_zero(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revenue = await publisher.client.get(f"{BASE}/apis/{api['id']}/revenue", headers=publisher.auth())
    assert revenue.status_code == 404, revenue.text
    body = revenue.json()
    assert set(body) >= {"code", "message", "description", "moreInfo", "error"}
    assert body["code"] == 404
    assert BILLING in body["description"]
    assert "totalRevenue" not in revenue.text


async def test_product_monetization_is_refused(publisher: Publisher) -> None:
    pizza, drinks = await two_apis(publisher)
    refused = await publisher.client.post(
        f"{BASE}/api-products",
        json=product_body(pizza, drinks, monetization={"enabled": True}),
        headers=publisher.auth(),
    )
    refused_for(refused, "monetization.enabled")
    created = await publisher.client.post(
        f"{BASE}/api-products", json=product_body(pizza, drinks), headers=publisher.auth()
    )
    assert created.status_code == 201, created.text
    product = created.json()
    updated = await publisher.client.put(
        f"{BASE}/api-products/{product['id']}",
        json={**product, "monetization": {"enabled": True}},
        headers=publisher.auth(),
    )
    refused_for(updated, "monetization.enabled")


async def test_disabled_monetization_is_accepted(publisher: Publisher) -> None:
    pizza, drinks = await two_apis(publisher)
    round_trip = await publisher.client.put(
        f"{BASE}/apis/{pizza['id']}",
        json={**pizza, "monetization": {"enabled": False, "properties": {}}},
        headers=publisher.auth(),
    )
    assert round_trip.status_code == 200, round_trip.text
    assert round_trip.json()["monetization"] == {"enabled": False, "properties": {}}
    product = await publisher.client.post(
        f"{BASE}/api-products",
        json=product_body(pizza, drinks, monetization={"enabled": False}),
        headers=publisher.auth(),
    )
    assert product.status_code == 201, product.text
    assert product.json()["monetization"]["enabled"] is False
