"""After authentication: deny policies, lifecycle, scopes and the subscription check."""

from __future__ import annotations

from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness, pets_api


async def _subscription(harness: Harness, status: str) -> None:
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.updated",
        {
            "subscriptionId": "sub-1",
            "applicationId": "app-1",
            "apiId": "api-pets",
            "throttlingPolicy": "Gold",
            "status": status,
        },
    )


async def test_a_token_of_an_application_not_subscribed_is_900908(harness: Harness) -> None:
    await harness.publish(Topic.SUBSCRIPTIONS, "subscription.deleted", {"subscriptionId": "sub-1"})
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def test_a_token_whose_client_maps_to_no_application_is_900908(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(client_id="stranger"))
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def test_a_blocked_subscription_is_900907(harness: Harness) -> None:
    await _subscription(harness, "BLOCKED")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 401
    assert r.json()["code"] == "900907"


async def test_prod_only_blocked_refuses_production_keys_and_serves_sandbox_keys(harness: Harness) -> None:
    await _subscription(harness, "PROD_ONLY_BLOCKED")
    production = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert production.status_code == 401
    assert production.json()["code"] == "900907"
    sandbox = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(client_id="client-sbx"))
    assert sandbox.status_code == 200
    # Sandbox keys go to the sandbox endpoint.
    assert sandbox.json()["path"] == "/echo/sandbox/echo/1"


async def test_a_subscription_on_hold_is_900909(harness: Harness) -> None:
    await _subscription(harness, "ON_HOLD")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 401
    assert r.json()["code"] == "900909"


async def test_a_resource_with_scopes_refuses_a_token_without_them_with_900910(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/admin/x", headers=harness.bearer(scopes="pets:read"))
    assert r.status_code == 403
    assert r.json()["code"] == "900910"


async def test_a_resource_with_scopes_serves_a_token_with_one_of_them(harness: Harness) -> None:
    r = await harness.client.get(
        "/pets/1.0.0/echo/admin/x", headers=harness.bearer(scopes="pets:read pets:admin")
    )
    assert r.status_code == 200


async def test_a_blocked_api_is_503_700700(harness: Harness) -> None:
    await harness.publish(
        Topic.APIS,
        "api.lifecycle-changed",
        {"apiId": "api-pets", "previousState": "PUBLISHED", "state": "BLOCKED"},
    )
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 503
    assert r.json()["code"] == "700700"


async def test_a_prototyped_api_is_callable_without_a_subscription(harness: Harness) -> None:
    harness.gateway.state.deploy(pets_api(harness.backend_port, lifeCycleStatus="PROTOTYPED"))
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(client_id="stranger"))
    assert r.status_code == 200


async def test_a_retired_api_is_no_longer_served(harness: Harness) -> None:
    await harness.publish(Topic.APIS, "api.lifecycle-changed", {"apiId": "api-pets", "state": "RETIRED"})
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.json()["code"] == "900906"


async def _deny(harness: Harness, kind: str, value: object, condition_id: str = "deny-1") -> None:
    await harness.publish(
        Topic.DENY_POLICIES,
        "deny-policy.created",
        {
            "conditionId": condition_id,
            "conditionType": kind,
            "conditionValue": value,
            "conditionStatus": True,
        },
    )


async def test_a_deny_policy_on_the_api_is_403_900805(harness: Harness) -> None:
    await _deny(harness, "API", "/pets/1.0.0")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 403
    assert r.json()["code"] == "900805"


async def test_a_deny_policy_on_the_client_ip_is_900805_even_without_credentials(harness: Harness) -> None:
    await _deny(harness, "IP", {"fixedIp": "127.0.0.1", "invert": False})
    r = await harness.client.get("/pets/1.0.0/echo/open")
    assert r.json()["code"] == "900805"


async def test_a_deny_policy_on_an_ip_range_is_900805(harness: Harness) -> None:
    await _deny(harness, "IPRANGE", {"startingIp": "127.0.0.0", "endingIp": "127.0.0.255", "invert": False})
    r = await harness.client.get("/pets/1.0.0/echo/open")
    assert r.json()["code"] == "900805"


async def test_a_deny_policy_on_the_user_and_on_the_application_is_900805(harness: Harness) -> None:
    await _deny(harness, "USER", "alice")
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()[
        "code"
    ] == "900805"
    await harness.publish(Topic.DENY_POLICIES, "deny-policy.deleted", {"conditionId": "deny-1"})
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).status_code == 200
    await _deny(harness, "APPLICATION", "app-1", "deny-2")
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()[
        "code"
    ] == "900805"


async def test_an_inactive_deny_policy_blocks_nothing(harness: Harness) -> None:
    await harness.publish(
        Topic.DENY_POLICIES,
        "deny-policy.updated",
        {
            "conditionId": "d",
            "conditionType": "API",
            "conditionValue": "/pets/1.0.0",
            "conditionStatus": False,
        },
    )
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).status_code == 200


async def test_an_api_product_routes_each_operation_to_its_member_apis_backend(harness: Harness) -> None:
    member = pets_api(harness.backend_port, id="api-member", context="/member")
    member["endpointConfig"]["production_endpoints"]["url"] += "/echo/member"
    harness.gateway.state.deploy(member)
    product = pets_api(harness.backend_port, id="prod-1", context="/bundle", type="APIProduct")
    product["endpointConfig"] = None
    product["operations"] = [{"verb": "GET", "target": "/items", "authType": "Any", "apiId": "api-member"}]
    harness.gateway.state.deploy(product)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {"subscriptionId": "sub-p", "applicationId": "app-1", "apiId": "prod-1", "throttlingPolicy": "Gold"},
    )
    r = await harness.client.get("/bundle/1.0.0/items", headers=harness.bearer())
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/member/items"


async def test_a_product_operation_uses_the_member_backend_carried_in_its_artifact(harness: Harness) -> None:
    product = pets_api(harness.backend_port, id="prod-2", context="/bundle2", type="APIProduct")
    product["endpointConfig"] = None
    product["operations"] = [
        {
            "verb": "GET",
            "target": "/items",
            "authType": "Any",
            "apiId": "api-not-deployed-here",
            "endpointConfig": {
                "endpoint_type": "http",
                "production_endpoints": {"url": f"http://127.0.0.1:{harness.backend_port}/echo/carried"},
            },
        }
    ]
    harness.gateway.state.deploy(product)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {"subscriptionId": "sub-p2", "applicationId": "app-1", "apiId": "prod-2", "throttlingPolicy": "Gold"},
    )
    r = await harness.client.get("/bundle2/1.0.0/items", headers=harness.bearer())
    assert r.json()["path"] == "/echo/carried/items"
