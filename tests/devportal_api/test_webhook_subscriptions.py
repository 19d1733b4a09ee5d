"""An application's WebSub subscribers, as the gateway's hub reports them in events."""

from __future__ import annotations

from apim_common.events import Topic
from apim_common.events.webhooks import CREATED, DELETED, DELIVERED
from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app

URL = f"{BASE}/webhooks/subscriptions"


async def test_an_applications_webhook_subscriptions_are_listed(portal: Portal) -> None:
    api = await portal.publish_api(name="Orders", type="WEBSUB")
    mine = await create_app(portal, portal.headers(), name="Mine")
    theirs = await create_app(portal, portal.headers("bob"), name="Theirs")
    base = {"apiId": api["id"], "topic": "orders", "subscribedAt": "2026-12-06T10:00:00+00:00"}
    for ident, app, callback in (
        ("s1", mine, "https://alice.example.com/hook"),
        ("s2", mine, "https://alice.example.com/other"),
        ("s3", theirs, "https://bob.example.com/hook"),
    ):
        data = {
            **base,
            "subscriptionId": ident,
            "applicationId": app["applicationId"],
            "callbackUrl": callback,
        }
        await portal.publish(Topic.WEBHOOK_SUBSCRIPTIONS, CREATED, ident, {**data, "leaseSeconds": 3600})
    delivered = {"subscriptionId": "s1", "deliveredAt": "2026-12-06T10:05:00+00:00", "outcome": "FAILED"}
    await portal.publish(Topic.WEBHOOK_SUBSCRIPTIONS, DELIVERED, "s1", delivered)
    await portal.publish(Topic.WEBHOOK_SUBSCRIPTIONS, DELETED, "s2", {"subscriptionId": "s2"})

    listed = await portal.client.get(
        URL, params={"applicationId": mine["applicationId"]}, headers=portal.headers()
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == 1
    [only] = body["list"]
    assert (only["apiId"], only["appId"], only["topic"], only["callBackUrl"]) == (
        api["id"],
        mine["applicationId"],
        "orders",
        "https://alice.example.com/hook",
    )
    assert only["deliveryStatus"] == 2
    assert only["deliveryTime"].startswith("2026-12-06T10:05:00")
    assert only["leaseExpiryTime"].startswith("2026-12-06T11:00:00")
    other_api = await portal.client.get(
        URL, params={"applicationId": mine["applicationId"], "apiId": "elsewhere"}, headers=portal.headers()
    )
    assert other_api.json()["count"] == 0
    # Someone else's application is not found; an application must be named.
    snooping = await portal.client.get(
        URL, params={"applicationId": theirs["applicationId"]}, headers=portal.headers()
    )
    assert snooping.status_code == 404
    assert (await portal.client.get(URL, headers=portal.headers())).status_code == 400
    anonymous = await portal.client.get(URL, params={"applicationId": mine["applicationId"]})
    assert anonymous.status_code == 401
