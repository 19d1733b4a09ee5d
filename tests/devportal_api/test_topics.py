"""An asynchronous API's topics, as WSO2's Developer Portal lists them."""

from __future__ import annotations

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, subscribe


async def test_a_streaming_apis_topics_are_its_operations(portal: Portal) -> None:
    operations = [
        {"target": "/orders", "verb": "SUBSCRIBE", "authType": "Application & Application User"},
        {"target": "/cancellations", "verb": "PUBLISH", "authType": "Application & Application User"},
    ]
    api = await portal.publish_api(name="Orders", type="WS", operations=operations)
    listed = await portal.client.get(f"{BASE}/apis/{api['id']}/topics")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == 2
    assert body["list"] == [
        {"apiId": api["id"], "name": "/orders", "type": "subscribe"},
        {"apiId": api["id"], "name": "/cancellations", "type": "publish"},
    ]
    rest = await portal.publish_api(name="Menu")
    assert (await portal.client.get(f"{BASE}/apis/{rest['id']}/topics")).json()["count"] == 0


async def test_a_streaming_api_is_subscribed_with_a_default_streaming_tier(portal: Portal) -> None:
    api = await portal.publish_api(name="Orders", type="WEBSUB", policies=["AsyncWHGold"])
    headers = portal.headers()
    app = await create_app(portal, headers)
    subscribed = await subscribe(portal, headers, app["applicationId"], api["id"], tier="AsyncWHGold")
    assert subscribed.status_code == 201, subscribed.text
    tiers = await portal.client.get(f"{BASE}/apis/{api['id']}/subscription-policies", headers=headers)
    [tier] = tiers.json()
    assert (tier["name"], tier["requestCount"], tier["unitTime"], tier["timeUnit"]) == (
        "AsyncWHGold",
        10000,
        1,
        "month",
    )
