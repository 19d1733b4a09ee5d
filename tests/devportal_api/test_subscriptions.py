"""Subscriptions: allowed tiers, lifecycle rules, tier change, approval and the publisher's blocks."""

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, enable_workflows, subscribe


async def test_a_tier_the_api_does_not_allow_is_refused(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    h = portal.headers()
    app = await create_app(portal, h)
    r = await subscribe(portal, h, app["applicationId"], api["id"], tier="Bronze")
    assert r.status_code == 400
    assert "Bronze" in r.json()["description"]


async def test_subscribing_twice_is_a_conflict(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    assert (await subscribe(portal, h, app["applicationId"], api["id"])).status_code == 201
    assert (await subscribe(portal, h, app["applicationId"], api["id"])).status_code == 409


async def test_a_deprecated_api_refuses_new_subscriptions_but_keeps_old_ones(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    old = await create_app(portal, h, name="Old")
    new = await create_app(portal, h, name="New")
    sub = (await subscribe(portal, h, old["applicationId"], api["id"])).json()
    await portal.publish(
        "apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "DEPRECATED"}
    )
    assert (await subscribe(portal, h, new["applicationId"], api["id"])).status_code == 400
    r = await portal.client.get(f"{BASE}/subscriptions/{sub['subscriptionId']}", headers=h)
    assert r.json()["status"] == "UNBLOCKED"
    # Still in the catalog for its subscriber, not for anyone else.
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}", headers=h)).status_code == 200
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}")).status_code == 404


async def test_a_prototyped_api_takes_no_subscription(portal: Portal) -> None:
    api = await portal.publish_api(name="Proto", lifeCycleStatus="PROTOTYPED")
    h = portal.headers()
    app = await create_app(portal, h)
    assert (await subscribe(portal, h, app["applicationId"], api["id"])).status_code == 400


async def test_one_application_subscribes_to_several_apis_at_once(portal: Portal) -> None:
    first = await portal.publish_api(name="One")
    second = await portal.publish_api(name="Two")
    h = portal.headers()
    app = await create_app(portal, h)
    body = [
        {"applicationId": app["applicationId"], "apiId": first["id"], "throttlingPolicy": "Gold"},
        {"applicationId": app["applicationId"], "apiId": second["id"], "throttlingPolicy": "Unlimited"},
    ]
    r = await portal.client.post(f"{BASE}/subscriptions/multiple", json=body, headers=h)
    assert r.status_code == 200
    assert [s["apiInfo"]["name"] for s in r.json()] == ["One", "Two"]
    r = await portal.client.get(
        f"{BASE}/subscriptions", params={"applicationId": app["applicationId"]}, headers=h
    )
    assert r.json()["count"] == 2
    assert (await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=h)).json()[
        "subscriptionCount"
    ] == 2


async def test_an_api_product_is_subscribed_like_an_api(portal: Portal) -> None:
    product = await portal.publish_api(name="Bundle", type="APIPRODUCT", apis=[{"name": "One"}])
    h = portal.headers()
    app = await create_app(portal, h)
    r = await subscribe(portal, h, app["applicationId"], product["id"])
    assert r.status_code == 201
    assert r.json()["apiInfo"]["type"] == "APIPRODUCT"


async def test_the_tier_of_a_subscription_can_change_to_another_allowed_one(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza", policies=["Gold", "Silver"])
    h = portal.headers()
    app = await create_app(portal, h)
    sub = (await subscribe(portal, h, app["applicationId"], api["id"])).json()
    body = {"applicationId": app["applicationId"], "apiId": api["id"], "throttlingPolicy": "Silver"}
    r = await portal.client.put(f"{BASE}/subscriptions/{sub['subscriptionId']}", json=body, headers=h)
    assert r.status_code == 200
    assert r.json()["throttlingPolicy"] == "Silver"
    body["throttlingPolicy"] = "Bronze"
    r = await portal.client.put(f"{BASE}/subscriptions/{sub['subscriptionId']}", json=body, headers=h)
    assert r.status_code == 400


async def test_unsubscribing_announces_the_deletion(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    sub = (await subscribe(portal, h, app["applicationId"], api["id"])).json()
    assert (
        await portal.client.delete(f"{BASE}/subscriptions/{sub['subscriptionId']}", headers=h)
    ).status_code == 200
    await portal.settle()
    created = portal.events("subscription.created")[0]
    assert created.data["apiId"] == api["id"]
    assert created.data["throttlingPolicy"] == "Gold"
    assert [e.subject for e in portal.events("subscription.deleted")] == [sub["subscriptionId"]]


async def test_another_users_subscription_is_not_found(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers("alice")
    app = await create_app(portal, h)
    sub = (await subscribe(portal, h, app["applicationId"], api["id"])).json()
    other = portal.headers("mallory")
    assert (
        await portal.client.get(f"{BASE}/subscriptions/{sub['subscriptionId']}", headers=other)
    ).status_code == 404
    assert (await subscribe(portal, other, app["applicationId"], api["id"])).status_code == 404


async def test_with_approval_on_a_subscription_is_on_hold_until_approved(portal: Portal) -> None:
    await enable_workflows(portal, "AM_SUBSCRIPTION_CREATION")
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    r = await subscribe(portal, h, app["applicationId"], api["id"])
    assert r.status_code == 202
    assert r.json()["status"] == "ON_HOLD"
    await portal.settle()
    reference = portal.events("workflow.requested")[0].data["workflowReferenceId"]
    decided = {
        "workflowReferenceId": reference,
        "workflowType": "AM_SUBSCRIPTION_CREATION",
        "status": "APPROVED",
    }
    await portal.publish("workflows", "workflow.decided", reference, decided)
    r = await portal.client.get(f"{BASE}/subscriptions/{r.json()['subscriptionId']}", headers=h)
    assert r.json()["status"] == "UNBLOCKED"


async def test_the_publisher_blocks_and_unblocks_a_subscription(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    sub = (await subscribe(portal, h, app["applicationId"], api["id"])).json()
    service = portal.tokens.headers("apim-internal-services", "apim:internal")
    r = await portal.client.get(
        f"{BASE}/internal/subscriptions", params={"apiId": api["id"]}, headers=service
    )
    assert [s["subscriptionId"] for s in r.json()["list"]] == [sub["subscriptionId"]]
    url = f"{BASE}/internal/subscriptions/{sub['subscriptionId']}"
    r = await portal.client.post(f"{url}/block", params={"blockState": "PROD_ONLY_BLOCKED"}, headers=service)
    assert r.json()["status"] == "PROD_ONLY_BLOCKED"
    assert (await portal.client.get(f"{BASE}/subscriptions/{sub['subscriptionId']}", headers=h)).json()[
        "status"
    ] == "PROD_ONLY_BLOCKED"
    r = await portal.client.post(f"{url}/unblock", headers=service)
    assert r.json()["status"] == "UNBLOCKED"
    await portal.settle()
    assert [e.data["status"] for e in portal.events("subscription.updated")] == [
        "PROD_ONLY_BLOCKED",
        "UNBLOCKED",
    ]
    assert (await portal.client.post(f"{url}/unblock", headers=h)).status_code == 403


async def test_an_api_secured_by_mutual_tls_alone_takes_no_subscription(portal: Portal) -> None:
    certificate_only = await portal.publish_api(name="Orders", securityScheme=["mutualssl"])
    either = await portal.publish_api(name="Ledger", securityScheme=["oauth2", "mutualssl"])
    h = portal.headers()
    app = await create_app(portal, h)
    refused = await subscribe(portal, h, app["applicationId"], certificate_only["id"])
    assert refused.status_code == 400
    assert "mutual TLS" in refused.json()["description"]
    assert (await subscribe(portal, h, app["applicationId"], either["id"])).status_code == 201
