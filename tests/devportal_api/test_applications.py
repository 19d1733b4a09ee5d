"""Applications: CRUD with an application tier, owner and group isolation, scopes and approval."""

import pytest

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, enable_workflows, generate_keys, subscribe


async def test_an_application_is_created_read_updated_and_listed(portal: Portal) -> None:
    h = portal.headers("alice")
    app = await create_app(portal, h, attributes={"ref": "42"}, groups=["team"])
    assert app["attributes"] == {"ref": "42"}
    r = await portal.client.put(
        f"{BASE}/applications/{app['applicationId']}",
        json={"name": "PizzaApp2", "throttlingPolicy": "10PerMin", "description": "changed"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["throttlingPolicy"] == "10PerMin"
    r = await portal.client.get(f"{BASE}/applications", headers=h)
    assert [(a["name"], a["description"]) for a in r.json()["list"]] == [("PizzaApp2", "changed")]
    await portal.settle()
    assert [e.type for e in portal.events("application.created")] == ["application.created"]
    assert portal.events("application.updated")[0].data["throttlingPolicy"] == "10PerMin"


async def test_an_unknown_application_tier_is_refused(portal: Portal) -> None:
    r = await portal.client.post(
        f"{BASE}/applications", json={"name": "X", "throttlingPolicy": "Platinum"}, headers=portal.headers()
    )
    assert r.status_code == 400
    assert "Platinum" in r.json()["description"]


async def test_a_duplicate_name_for_the_same_owner_is_a_conflict(portal: Portal) -> None:
    await create_app(portal, portal.headers("alice"))
    r = await portal.client.post(
        f"{BASE}/applications",
        json={"name": "PizzaApp", "throttlingPolicy": "Unlimited"},
        headers=portal.headers("alice"),
    )
    assert r.status_code == 409
    assert (await create_app(portal, portal.headers("bob")))["owner"] == "bob"


async def test_another_users_application_is_not_found_to_me(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice"))
    mine = portal.headers("mallory")
    assert (
        await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=mine)
    ).status_code == 404
    r = await portal.client.delete(f"{BASE}/applications/{app['applicationId']}", headers=mine)
    assert r.status_code == 404
    assert (await portal.client.get(f"{BASE}/applications", headers=mine)).json()["count"] == 0


async def test_a_group_member_sees_a_shared_application_but_only_the_owner_changes_it(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice", groups=["team"]), groups=["team"])
    member = portal.headers("bob", groups=["team"])
    assert (
        await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=member)
    ).status_code == 200
    r = await portal.client.put(
        f"{BASE}/applications/{app['applicationId']}",
        json={"name": "Mine", "throttlingPolicy": "Unlimited"},
        headers=member,
    )
    assert r.status_code == 403


async def test_applications_of_another_tenant_are_invisible(portal: Portal) -> None:
    app = await create_app(portal, portal.headers("alice"))
    other = portal.headers("alice@acme.com", tenant="acme.com")
    assert (
        await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=other)
    ).status_code == 404


async def test_application_endpoints_need_a_token_and_a_scope(portal: Portal) -> None:
    assert (await portal.client.get(f"{BASE}/applications")).status_code == 401
    r = await portal.client.get(f"{BASE}/applications", headers=portal.headers(scopes="apim:api_view"))
    assert r.status_code == 403
    assert r.json()["code"] == 900910
    r = await portal.client.get(f"{BASE}/applications", headers=portal.headers(scopes="apim:app_manage"))
    assert r.status_code == 200


async def test_deleting_an_application_removes_subscriptions_and_its_oauth_clients(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers("alice")
    app = await create_app(portal, h)
    sub = (await subscribe(portal, h, app["applicationId"], api["id"])).json()
    key = (await generate_keys(portal, h, app["applicationId"])).json()
    r = await portal.client.delete(f"{BASE}/applications/{app['applicationId']}", headers=h)
    assert r.status_code == 200
    assert ("delete", key["consumerKey"]) in portal.key_manager.calls
    assert key["consumerKey"] not in portal.key_manager.clients
    assert (
        await portal.client.get(f"{BASE}/subscriptions/{sub['subscriptionId']}", headers=h)
    ).status_code == 404
    await portal.settle()
    assert [e.subject for e in portal.events("subscription.deleted")] == [sub["subscriptionId"]]
    assert [e.data["consumerKey"] for e in portal.events("key-mapping.deleted")] == [key["consumerKey"]]
    assert [e.subject for e in portal.events("application.deleted")] == [app["applicationId"]]


async def test_with_approval_on_a_new_application_waits_until_an_admin_approves(portal: Portal) -> None:
    await enable_workflows(portal, "AM_APPLICATION_CREATION")
    h = portal.headers("alice")
    r = await portal.client.post(
        f"{BASE}/applications", json={"name": "Held", "throttlingPolicy": "Unlimited"}, headers=h
    )
    assert r.status_code == 202
    app_id = r.json()["applicationId"]
    assert r.json()["status"] == "CREATED"
    await portal.settle()
    requested = portal.events("workflow.requested")
    assert requested[0].data["workflowType"] == "AM_APPLICATION_CREATION"
    reference = requested[0].data["workflowReferenceId"]
    assert (await generate_keys(portal, h, app_id)).status_code == 400
    await portal.publish(
        "workflows",
        "workflow.decided",
        reference,
        {"workflowReferenceId": reference, "workflowType": "AM_APPLICATION_CREATION", "status": "APPROVED"},
    )
    r = await portal.client.get(f"{BASE}/applications/{app_id}", headers=h)
    assert r.json()["status"] == "APPROVED"


async def test_a_rejected_application_stays_rejected(portal: Portal) -> None:
    await enable_workflows(portal, "ApplicationCreation")
    h = portal.headers("alice")
    app = await create_app(portal, h, name="Held")
    await portal.settle()
    reference = portal.events("workflow.requested")[0].data["workflowReferenceId"]
    await portal.publish(
        "workflows", "workflow.decided", reference, {"workflowReferenceId": reference, "status": "REJECTED"}
    )
    r = await portal.client.get(f"{BASE}/applications/{app['applicationId']}", headers=h)
    assert r.json()["status"] == "REJECTED"


async def test_an_application_tier_announced_by_the_admin_can_be_used(portal: Portal) -> None:
    policy = {
        "policyId": "p9",
        "policyName": "Partner",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 99},
        },
    }
    await portal.publish(
        "throttle-policies", "throttle-policy.created", "p9", {"policyType": "application", "policy": policy}
    )
    app = await create_app(portal, portal.headers(), throttlingPolicy="Partner")
    assert app["throttlingPolicy"] == "Partner"


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("Pizza\x00App", "a control character (U+0000)"),
        ("Pizza\U000e0080", "an unassigned code point (U+E0080)"),
    ],
)
async def test_an_application_name_with_an_unusual_character_is_400_naming_it(
    portal: Portal, name: str, refused: str
) -> None:
    h = portal.headers("alice")
    r = await portal.client.post(
        f"{BASE}/applications", json={"name": name, "throttlingPolicy": "Unlimited"}, headers=h
    )
    assert r.status_code == 400, r.text
    assert f"must not contain {refused}" in r.json()["description"]
    app = await create_app(portal, h)
    r = await portal.client.put(
        f"{BASE}/applications/{app['applicationId']}",
        json={"name": name, "throttlingPolicy": "Unlimited"},
        headers=h,
    )
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["name"]
