"""Subscription availability at the gateway: an application of another tenant calls an API only
where the API's ``subscriptionAvailability`` admits that tenant."""

from __future__ import annotations

from typing import Any

import pytest

from apim_common.events.topics import Topic
from tests.gateway.conftest import RESIDENT, Harness, pets_api, resident_key_manager

ACME_SHOP = "/t/acme.com/shop/1.0.0/echo/1"


async def _acme_api_subscribed_from_carbon_super(harness: Harness, **availability: Any) -> None:
    """acme.com's API, subscribed by app-1 of carbon.super, whose tokens acme trusts (a global key
    manager), so that only the subscription check stands between them."""
    api = pets_api(
        harness.backend_port, id="api-acme", tenant="acme.com", context="/t/acme.com/shop", **availability
    )
    harness.gateway.state.deploy(api)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {
            "subscriptionId": "sub-acme",
            "applicationId": "app-1",
            "apiId": "api-acme",
            "throttlingPolicy": "Gold",
        },
        tenant="acme.com",
    )
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.updated",
        resident_key_manager(**{"global": True, "id": "km-global", "name": RESIDENT}),
    )


async def test_an_application_of_another_tenant_cannot_call_a_current_tenant_api(harness: Harness) -> None:
    await _acme_api_subscribed_from_carbon_super(harness, subscriptionAvailability="CURRENT_TENANT")
    r = await harness.client.get(ACME_SHOP, headers=harness.bearer())
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def test_an_api_without_availability_is_closed_to_other_tenants(harness: Harness) -> None:
    await _acme_api_subscribed_from_carbon_super(harness)
    r = await harness.client.get(ACME_SHOP, headers=harness.bearer())
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def test_an_api_available_to_all_tenants_admits_another_tenants_application(harness: Harness) -> None:
    await _acme_api_subscribed_from_carbon_super(harness, subscriptionAvailability="ALL_TENANTS")
    r = await harness.client.get(ACME_SHOP, headers=harness.bearer())
    assert r.status_code == 200


@pytest.mark.parametrize(("named", "status"), [(["carbon.super"], 200), (["beta.org"], 403)])
async def test_an_api_available_to_specific_tenants_admits_only_those(
    harness: Harness, named: list[str], status: int
) -> None:
    await _acme_api_subscribed_from_carbon_super(
        harness, subscriptionAvailability="SPECIFIC_TENANTS", subscriptionAvailableTenants=named
    )
    r = await harness.client.get(ACME_SHOP, headers=harness.bearer())
    assert r.status_code == status


async def test_an_api_key_of_another_tenant_cannot_call_a_current_tenant_api(harness: Harness) -> None:
    await _acme_api_subscribed_from_carbon_super(harness, subscriptionAvailability="CURRENT_TENANT")
    key = harness.tokens.mint(
        "mallory",
        client_id="",
        tenant="carbon.super",
        token_type="apiKey",
        keytype="PRODUCTION",
        # An application the gateway has not heard of: the key's own claims are all there is.
        application={"uuid": "app-unknown", "name": "Elsewhere", "owner": "mallory", "tier": "Unlimited"},
        subscribedAPIs=[
            {"name": "Pets", "context": "/t/acme.com/shop", "version": "1.0.0", "subscriptionTier": "Gold"}
        ],
    )
    r = await harness.client.get(ACME_SHOP, headers={"X-API-Key": key})
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def _acme_product_subscribed_from_carbon_super(harness: Harness, **availability: Any) -> None:
    """acme.com's API product over one member API, subscribed by app-1 of carbon.super."""
    await _acme_api_subscribed_from_carbon_super(harness)
    product = pets_api(
        harness.backend_port,
        id="prod-acme",
        tenant="acme.com",
        context="/t/acme.com/bundle",
        type="APIProduct",
        endpointConfig=None,
        operations=[{"verb": "GET", "target": "/items", "authType": "Any", "apiId": "api-acme"}],
        **availability,
    )
    harness.gateway.state.deploy(product)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {
            "subscriptionId": "sub-acme-product",
            "applicationId": "app-1",
            "apiId": "prod-acme",
            "throttlingPolicy": "Gold",
        },
        tenant="acme.com",
    )


@pytest.mark.parametrize(("named", "status"), [(["carbon.super"], 200), (["beta.org"], 403)])
async def test_an_api_product_available_to_specific_tenants_admits_only_those(
    harness: Harness, named: list[str], status: int
) -> None:
    await _acme_product_subscribed_from_carbon_super(
        harness, subscriptionAvailability="SPECIFIC_TENANTS", subscriptionAvailableTenants=named
    )
    r = await harness.client.get("/t/acme.com/bundle/1.0.0/items", headers=harness.bearer())
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["code"] == "900908"
