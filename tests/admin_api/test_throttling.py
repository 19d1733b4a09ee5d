"""Throttling policies through /throttling/policies: defaults, CRUD, validation, usage and events."""

from typing import Any

from tests.admin_api.harness import Admin, running_admin
from tests.support.tokens import TokenFactory


def per_minute(count: int) -> dict[str, Any]:
    return {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": count},
    }


async def names(admin: Admin, kind: str, **kwargs: Any) -> list[str]:
    response = await admin.get(f"/throttling/policies/{kind}", **kwargs)
    assert response.status_code == 200, response.text
    return [p["policyName"] for p in response.json()["list"]]


async def test_wso2_default_tiers_exist_once_after_restarts(tokens: TokenFactory, sqlite_url: str) -> None:
    for _ in range(2):
        async with running_admin(tokens, sqlite_url) as admin:
            assert sorted(await names(admin, "subscription")) == [
                "AsyncBronze",
                "AsyncGold",
                "AsyncSilver",
                "AsyncUnlimited",
                "AsyncWHBronze",
                "AsyncWHGold",
                "AsyncWHSilver",
                "Bronze",
                "Gold",
                "Silver",
                "Unauthenticated",
                "Unlimited",
            ]
            assert sorted(await names(admin, "application")) == [
                "10PerMin",
                "20PerMin",
                "50PerMin",
                "Unlimited",
            ]
            assert sorted(await names(admin, "advanced")) == [
                "10KPerMin",
                "20KPerMin",
                "50KPerMin",
                "Unlimited",
            ]


async def test_an_application_policy_with_a_burst_limit_round_trips(admin: Admin) -> None:
    body = {
        "policyName": "Burst5",
        "defaultLimit": per_minute(100),
        "burstLimit": {"rateLimitCount": 5, "rateLimitTimeUnit": "sec"},
    }
    created = await admin.post("/throttling/policies/application", json=body)
    assert created.status_code == 201, created.text
    policy_id = created.json()["policyId"]
    fetched = (await admin.get(f"/throttling/policies/application/{policy_id}")).json()
    assert fetched["burstLimit"] == {"rateLimitCount": 5, "rateLimitTimeUnit": "sec"}
    assert fetched["type"] == "ApplicationThrottlePolicy"
    body["defaultLimit"] = per_minute(200)
    updated = await admin.put(f"/throttling/policies/application/{policy_id}", json=body)
    assert updated.json()["defaultLimit"]["requestCount"]["requestCount"] == 200
    assert (await admin.delete(f"/throttling/policies/application/{policy_id}")).status_code == 200
    assert (await admin.get(f"/throttling/policies/application/{policy_id}")).status_code == 404


async def test_a_subscription_policy_keeps_burst_quota_billing_and_permissions(admin: Admin) -> None:
    body = {
        "policyName": "Platinum",
        "defaultLimit": {
            "type": "BANDWIDTHLIMIT",
            "bandwidth": {"timeUnit": "hour", "unitTime": 1, "dataAmount": 10, "dataUnit": "MB"},
        },
        "rateLimitCount": 10,
        "rateLimitTimeUnit": "sec",
        "stopOnQuotaReach": False,
        "billingPlan": "COMMERCIAL",
        "permissions": {"permissionType": "ALLOW", "roles": ["gold-customers"]},
        "customAttributes": [{"name": "tier", "value": "top"}],
    }
    created = await admin.post("/throttling/policies/subscription", json=body)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert (shown["rateLimitCount"], shown["rateLimitTimeUnit"], shown["stopOnQuotaReach"]) == (
        10,
        "sec",
        False,
    )
    assert shown["billingPlan"] == "COMMERCIAL"
    assert shown["permissions"] == {"permissionType": "ALLOW", "roles": ["gold-customers"]}


async def test_an_advanced_policy_keeps_its_conditional_groups(admin: Admin) -> None:
    conditions = [
        {"type": "HEADERCONDITION", "headerCondition": {"headerName": "X-Tier", "headerValue": "free"}},
        {
            "type": "IPCONDITION",
            "invertCondition": True,
            "ipCondition": {"ipConditionType": "IPRANGE", "startingIP": "10.0.0.1", "endingIP": "10.0.0.255"},
        },
        {
            "type": "JWTCLAIMSCONDITION",
            "jwtClaimsCondition": {"claimUrl": "http://wso2.org/claims/role", "attribute": "guest"},
        },
        {
            "type": "QUERYPARAMETERCONDITION",
            "queryParameterCondition": {"parameterName": "debug", "parameterValue": "true"},
        },
    ]
    body = {
        "policyName": "Guarded",
        "defaultLimit": per_minute(1000),
        "conditionalGroups": [{"description": "guests", "conditions": conditions, "limit": per_minute(10)}],
    }
    created = await admin.post("/throttling/policies/advanced", json=body)
    assert created.status_code == 201, created.text
    group = created.json()["conditionalGroups"][0]
    assert [c["type"] for c in group["conditions"]] == [c["type"] for c in conditions]
    assert group["conditions"][1]["invertCondition"] is True


async def test_a_custom_rule_accepts_known_key_variables_only(admin: Admin) -> None:
    good = await admin.post(
        "/throttling/policies/custom",
        json={
            "policyName": "PerUserApi",
            "keyTemplate": "$userId:$apiContext:$apiVersion",
            "siddhiQuery": "FROM RequestStream SELECT ...",
        },
    )
    assert good.status_code == 201, good.text
    bad = await admin.post(
        "/throttling/policies/custom", json={"policyName": "Bad", "keyTemplate": "$userId:$nonsense"}
    )
    assert bad.status_code == 400
    assert "$nonsense" in bad.json()["description"]


async def test_invalid_limits_answer_400_with_the_error_shape(admin: Admin) -> None:
    cases = [
        per_minute(0),
        per_minute(-5),
        {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "fortnight", "unitTime": 1, "requestCount": 5},
        },
        {
            "type": "BANDWIDTHLIMIT",
            "bandwidth": {"timeUnit": "min", "unitTime": 1, "dataAmount": 5, "dataUnit": "TB"},
        },
        {"type": "REQUESTCOUNTLIMIT"},
    ]
    for limit in cases:
        response = await admin.post(
            "/throttling/policies/application", json={"policyName": "Broken", "defaultLimit": limit}
        )
        assert response.status_code == 400, limit
        body = response.json()
        assert body["code"] == 400
        assert body["message"] == "Bad Request"
        assert body["error"]
        assert all({"code", "message", "description"} <= set(e) for e in body["error"])
    burst = await admin.post(
        "/throttling/policies/application",
        json={
            "policyName": "Broken",
            "defaultLimit": per_minute(5),
            "burstLimit": {"rateLimitCount": 3, "rateLimitTimeUnit": "hour"},
        },
    )
    assert burst.status_code == 400


async def test_a_policy_in_use_cannot_be_deleted(admin: Admin) -> None:
    created = await admin.post(
        "/throttling/policies/subscription", json={"policyName": "Used", "defaultLimit": per_minute(10)}
    )
    policy_id = created.json()["policyId"]
    subscription = {
        "subscriptionId": "sub-1",
        "applicationId": "app-1",
        "apiId": "api-1",
        "throttlingPolicy": "Used",
        "status": "UNBLOCKED",
    }
    await admin.publish("subscriptions", "subscription.created", "sub-1", subscription)
    refused = await admin.delete(f"/throttling/policies/subscription/{policy_id}")
    assert refused.status_code == 409
    assert refused.json()["message"] == "Policy in use"
    await admin.publish("subscriptions", "subscription.deleted", "sub-1", subscription)
    assert (await admin.delete(f"/throttling/policies/subscription/{policy_id}")).status_code == 200


async def test_usage_comes_from_apis_and_applications_and_redelivery_is_harmless(admin: Admin) -> None:
    app_policy = (
        await admin.post(
            "/throttling/policies/application", json={"policyName": "AppTier", "defaultLimit": per_minute(10)}
        )
    ).json()
    api_policy = (
        await admin.post(
            "/throttling/policies/advanced", json={"policyName": "ApiTier", "defaultLimit": per_minute(10)}
        )
    ).json()
    application = {"applicationId": "app-9", "name": "Shop", "owner": "bob", "throttlingPolicy": "AppTier"}
    event = await admin.publish("applications", "application.created", "app-9", application)
    await admin.bus.publish("applications", event)  # delivered twice
    await admin.bus.drain()
    api = {
        "id": "api-9",
        "name": "Pets",
        "version": "1",
        "context": "/pets",
        "policies": ["Gold"],
        "operations": [{"verb": "GET", "target": "/", "throttlingPolicy": "ApiTier"}],
    }
    await admin.publish("apis", "api.created", "api-9", api)
    assert (
        await admin.delete(f"/throttling/policies/application/{app_policy['policyId']}")
    ).status_code == 409
    assert (await admin.delete(f"/throttling/policies/advanced/{api_policy['policyId']}")).status_code == 409
    await admin.publish("applications", "application.deleted", "app-9", application)
    assert (
        await admin.delete(f"/throttling/policies/application/{app_policy['policyId']}")
    ).status_code == 200


async def test_one_policy_change_is_one_cloudevent(admin: Admin) -> None:
    created = (
        await admin.post(
            "/throttling/policies/application", json={"policyName": "Evented", "defaultLimit": per_minute(7)}
        )
    ).json()
    events = await admin.events_of("throttle-policies")
    assert len(events) == 1
    event = events[0]
    assert event.type == "throttle-policy.created"
    assert event.specversion == "1.0"
    assert event.source
    assert event.id
    assert event.time
    assert event.subject == created["policyId"]
    assert event.tenant == "carbon.super"
    assert event.data == {"policyType": "application", "policy": created}
    await admin.delete(f"/throttling/policies/application/{created['policyId']}")
    assert [e.type for e in await admin.events_of("throttle-policies")] == [
        "throttle-policy.created",
        "throttle-policy.deleted",
    ]


async def test_tenant_a_cannot_read_or_change_tenant_b_policies(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    created = await admin.post(
        "/throttling/policies/application",
        json={"policyName": "AcmeOnly", "defaultLimit": per_minute(5)},
        headers=acme,
    )
    assert created.status_code == 201
    policy_id = created.json()["policyId"]
    other = admin.auth(tenant="globex.com")
    assert (
        await admin.get(f"/throttling/policies/application/{policy_id}", headers=other)
    ).status_code == 404
    body = {"policyName": "AcmeOnly", "defaultLimit": per_minute(50)}
    assert (
        await admin.put(f"/throttling/policies/application/{policy_id}", json=body, headers=other)
    ).status_code == 404
    assert (
        await admin.delete(f"/throttling/policies/application/{policy_id}", headers=other)
    ).status_code == 404
    assert "AcmeOnly" not in await names(admin, "application", headers=other)
    assert "AcmeOnly" not in await names(admin, "application")
    assert (await admin.get(f"/throttling/policies/application/{policy_id}", headers=acme)).json()[
        "defaultLimit"
    ] == per_minute(5)


async def test_a_duplicate_policy_name_is_a_conflict(admin: Admin) -> None:
    response = await admin.post(
        "/throttling/policies/subscription", json={"policyName": "Gold", "defaultLimit": per_minute(5)}
    )
    assert response.status_code == 409


async def test_search_finds_policies_by_type_and_name(admin: Admin) -> None:
    found = (await admin.get("/throttling/policies/search", params={"query": "type:sub name:Gol"})).json()
    assert sorted((p["policyName"], p["type"]) for p in found["list"]) == [
        ("AsyncGold", "SubscriptionThrottlePolicy"),
        ("AsyncWHGold", "SubscriptionThrottlePolicy"),
        ("Gold", "SubscriptionThrottlePolicy"),
    ]


async def test_an_exported_policy_imports_into_another_tenant(admin: Admin) -> None:
    exported = await admin.get("/throttling/policies/export", params={"name": "Gold", "type": "sub"})
    assert exported.status_code == 200
    document = exported.content
    files = {"file": ("gold.json", document, "application/json")}
    again = await admin.post("/throttling/policies/import", files=files)
    assert again.status_code == 409
    acme = admin.auth(tenant="acme.com")
    imported = await admin.post("/throttling/policies/import", files=files, headers=acme)
    assert imported.status_code == 200, imported.text
    assert imported.json()["defaultLimit"] == per_minute(5000)
