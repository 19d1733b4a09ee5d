"""The Publisher's subscription view and block/unblock go to devportal-api with a service token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.publisher_api.conftest import BASE, Publisher
from tests.publisher_api.fakes import FakeServices

SUBS = ["apim:api_view", "apim:subscription_view", "apim:subscription_block"]


@pytest.fixture
async def services(publisher: Publisher) -> Any:
    fake = FakeServices()
    original = publisher.app.state.http
    publisher.app.state.http = fake.client()
    yield fake
    await publisher.app.state.http.aclose()
    publisher.app.state.http = original


def subscription(api_id: str, sub_id: str = "sub-1") -> dict[str, Any]:
    return {
        "subscriptionId": sub_id,
        "apiId": api_id,
        "applicationId": "app-1",
        "applicationInfo": {"name": "Shop", "owner": "alice"},
        "throttlingPolicy": "Gold",
        "status": "UNBLOCKED",
    }


async def test_the_subscriptions_of_an_api_come_from_devportal(
    publisher: Publisher, services: FakeServices
) -> None:
    api = await publisher.create_api()
    services.subscriptions[api["id"]] = [subscription(api["id"])]
    response = await publisher.client.get(
        f"{BASE}/subscriptions", params={"apiId": api["id"]}, headers=publisher.auth(SUBS)
    )
    assert response.status_code == 200
    assert [s["subscriptionId"] for s in response.json()["list"]] == ["sub-1"]
    method, path, params, authorization = services.calls[-1]
    assert (method, path, params["apiId"]) == (
        "GET",
        "/api/am/devportal/v3/internal/subscriptions",
        api["id"],
    )
    assert authorization == "Bearer service-token"
    assert services.calls[0][3] == "apim:internal"
    everything = await publisher.client.get(f"{BASE}/subscriptions", headers=publisher.auth(SUBS))
    assert everything.json()["count"] == 1


async def test_block_and_unblock_reach_devportal(publisher: Publisher, services: FakeServices) -> None:
    api = await publisher.create_api()
    services.subscriptions[api["id"]] = [subscription(api["id"])]
    blocked = await publisher.client.post(
        f"{BASE}/subscriptions/block-subscription",
        params={"subscriptionId": "sub-1", "blockState": "PROD_ONLY_BLOCKED"},
        headers=publisher.auth(SUBS),
    )
    assert blocked.status_code == 200
    assert services.calls[-1][1:3] == (
        "/api/am/devportal/v3/internal/subscriptions/sub-1/block",
        {"blockState": "PROD_ONLY_BLOCKED"},
    )
    assert services.subscriptions[api["id"]][0]["status"] == "PROD_ONLY_BLOCKED"
    unblocked = await publisher.client.post(
        f"{BASE}/subscriptions/unblock-subscription",
        params={"subscriptionId": "sub-1"},
        headers=publisher.auth(SUBS),
    )
    assert unblocked.status_code == 200
    assert services.calls[-1][1] == "/api/am/devportal/v3/internal/subscriptions/sub-1/unblock"


async def test_another_tenants_subscription_cannot_be_blocked(
    publisher: Publisher, services: FakeServices
) -> None:
    api = await publisher.create_api()
    services.subscriptions[api["id"]] = [subscription(api["id"])]
    other = publisher.auth(SUBS, user="bob@acme.com", tenant="acme.com")
    response = await publisher.client.post(
        f"{BASE}/subscriptions/block-subscription",
        params={"subscriptionId": "sub-1", "blockState": "BLOCKED"},
        headers=other,
    )
    assert response.status_code == 404
    assert not any(c[1].endswith("/block") for c in services.calls)


async def test_subscriber_info_describes_the_subscription_and_usage_is_404(
    publisher: Publisher, services: FakeServices
) -> None:
    api = await publisher.create_api()
    services.subscriptions[api["id"]] = [subscription(api["id"])]
    info = await publisher.client.get(
        f"{BASE}/subscriptions/sub-1/subscriber-info", headers=publisher.auth(SUBS)
    )
    assert info.json()["name"] == "alice"
    usage = await publisher.client.get(f"{BASE}/subscriptions/sub-1/usage", headers=publisher.auth(SUBS))
    # The admin service's usage publisher has billed nothing for it: no usage is made up.
    assert usage.status_code == 404
    assert "no billed usage" in usage.json()["description"]
    missing = await publisher.client.get(f"{BASE}/subscriptions/nope/usage", headers=publisher.auth(SUBS))
    assert missing.status_code == 404


async def test_blocking_needs_the_block_scope(publisher: Publisher, services: FakeServices) -> None:
    response = await publisher.client.post(
        f"{BASE}/subscriptions/block-subscription",
        params={"subscriptionId": "sub-1", "blockState": "BLOCKED"},
        headers=publisher.auth(["apim:subscription_view"]),
    )
    assert response.status_code == 403
