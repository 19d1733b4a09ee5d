"""An application's WebSub subscribers, as the gateway's hub reports them in events."""

from __future__ import annotations

from apim_common.events import Topic
from apim_common.events.webhooks import CREATED, DELETED, DELIVERED, SECRET_PURPOSE
from apim_common.sealed import SecretBox
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
    assert only["subscribedTime"].startswith("2026-12-06T10:00:00")
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


async def test_gateways_snapshot_carries_the_sealed_secret_that_no_view_shows(portal: Portal) -> None:
    """The secret stays sealed in the row and the snapshot; the developer's list never has it;
    the snapshot answers service tokens only; an unsealed secret in an event is not taken."""
    api = await portal.publish_api(name="Orders", type="WEBSUB")
    app = await create_app(portal, portal.headers(), name="Mine")
    sealed = SecretBox("any key", SECRET_PURPOSE).seal("s3cr3t")
    data = {
        "subscriptionId": "s9",
        "apiId": api["id"],
        "applicationId": app["applicationId"],
        "topic": "/orders",
        "callbackUrl": "https://alice.example.com/hook",
        "subscribedAt": "2099-12-06T10:00:00+00:00",
        "leaseSeconds": 3600,
    }
    await portal.publish(Topic.WEBHOOK_SUBSCRIPTIONS, CREATED, "s9", {**data, "secret": sealed})
    await portal.publish(
        Topic.WEBHOOK_SUBSCRIPTIONS, CREATED, "s10", {**data, "subscriptionId": "s10", "secret": "clear"}
    )

    service = portal.tokens.headers("apim-internal-services", "apim:internal")
    snapshot = await portal.client.get(f"{BASE}/internal/webhook-subscriptions", headers=service)
    assert snapshot.status_code == 200, snapshot.text
    [row] = snapshot.json()["list"]
    assert (row["subscriptionId"], row["secret"], row["leaseSeconds"]) == ("s9", sealed, 3600)
    assert row["tenant"] == app.get("tenant", "carbon.super")
    developer = await portal.client.get(f"{BASE}/internal/webhook-subscriptions", headers=portal.headers())
    assert developer.status_code in (401, 403)
    listed = await portal.client.get(
        URL, params={"applicationId": app["applicationId"]}, headers=portal.headers()
    )
    assert "secret" not in listed.text
    assert sealed not in listed.text
