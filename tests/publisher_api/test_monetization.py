"""Monetization: prices are set on the subscription tiers (admin), so enabling it per API is
refused; switched off, the field round-trips as WSO2 clients send it; ``/revenue`` answers what
the admin service's billing provider billed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from tests.publisher_api.conftest import BASE, Publisher
from tests.publisher_api.test_products import product_body, two_apis
from tests.support.monetization import running_billing, token_endpoint

BILLING = "priced per subscription tier"


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


async def test_revenue_and_subscription_usage_are_what_the_billing_provider_billed(
    publisher: Publisher, tmp_path: Path
) -> None:
    """The admin service's usage publisher prices the API's subscriptions from the analytics
    rollups; the publisher answers its totals as WSO2's ``APIRevenue`` and one subscription's
    last billed period as ``APIMonetizationUsage``."""
    async with running_billing(publisher.tokens, tmp_path) as billing:
        api = await publisher.create_api()
        await billing.subscribe("sub-paid", api["id"], "app-paid", "Metered")
        await billing.subscribe("sub-flat", api["id"], "app-flat", "Flat")
        await billing.calls(12, api["id"], "app-paid")
        await billing.calls(1, "another-api", "app-paid")
        assert (await billing.publish_and_wait())["state"] == "COMPLETED"
        key_manager = token_endpoint(publisher.tokens)
        devportal = FastAPI()

        @devportal.get("/api/am/devportal/v3/internal/subscriptions")
        async def subscriptions(apiId: str) -> dict[str, Any]:
            found = [{"subscriptionId": "sub-paid", "apiId": apiId}] if apiId == api["id"] else []
            return {"count": len(found), "list": found}

        async def route(scope: Any, receive: Any, send: Any) -> None:
            if scope["path"] == "/oauth2/token":
                await key_manager(scope, receive, send)
            elif scope["path"].startswith("/api/am/devportal/"):
                await devportal(scope, receive, send)
            else:
                await billing.admin.app(scope, receive, send)

        original = publisher.app.state.http
        publisher.app.state.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=route))
        try:
            url = f"{BASE}/apis/{api['id']}/revenue"
            revenue = await publisher.client.get(url, headers=publisher.auth(["apim:api_view"]))
            refused = await publisher.client.get(url, headers=publisher.auth(["apim:subscribe"]))
            foreign = await publisher.client.get(url, headers=publisher.auth(tenant="acme.com"))
            usage = await publisher.client.get(
                f"{BASE}/subscriptions/sub-paid/usage", headers=publisher.auth(["apim:subscription_view"])
            )
        finally:
            await publisher.app.state.http.aclose()
            publisher.app.state.http = original
    assert revenue.status_code == 200, revenue.text
    properties = revenue.json()["properties"]
    assert (properties["totalRevenueEUR"], properties["totalRevenueUSD"]) == ("0.60", "10.00")
    assert (properties["requestCount"], properties["subscriptions"]) == ("12", "2")
    assert all(isinstance(value, str) for value in properties.values())
    assert refused.status_code == 403
    assert foreign.status_code == 404
    assert usage.status_code == 200, usage.text
    billed = usage.json()["properties"]
    assert (billed["requestCount"], billed["amount"], billed["currency"], billed["tier"]) == (
        "12",
        "0.60",
        "EUR",
        "Metered",
    )


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
