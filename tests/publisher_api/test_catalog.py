"""Tiers, key managers, tenants, categories and tenant configuration, as other services announce them."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, Publisher

VIEW = ["apim:api_view"]


async def test_wso2s_default_tiers_are_listed_by_level(publisher: Publisher) -> None:
    subscription = await publisher.client.get(
        f"{BASE}/throttling-policies/subscription", headers=publisher.auth(VIEW)
    )
    assert [t["name"] for t in subscription.json()["list"]] == [
        "Bronze",
        "Gold",
        "Silver",
        "Unauthenticated",
        "Unlimited",
    ]
    gold = await publisher.client.get(
        f"{BASE}/throttling-policies/subscription/Gold", headers=publisher.auth(VIEW)
    )
    assert (gold.json()["requestCount"], gold.json()["timeUnit"]) == (5000, "min")
    api = await publisher.client.get(f"{BASE}/throttling-policies/api", headers=publisher.auth(VIEW))
    assert "10KPerMin" in [t["name"] for t in api.json()["list"]]
    streaming = await publisher.client.get(
        f"{BASE}/throttling-policies/streaming/subscription", headers=publisher.auth(VIEW)
    )
    assert "AsyncGold" in [t["policyName"] for t in streaming.json()["list"]]
    assert (
        await publisher.client.get(f"{BASE}/throttling-policies/application", headers=publisher.auth(VIEW))
    ).status_code == 400


async def test_tiers_follow_admins_throttle_policy_events_per_tenant(publisher: Publisher) -> None:
    policy = {
        "policyName": "Partner",
        "displayName": "Partner",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 42},
        },
        "stopOnQuotaReach": False,
    }
    await publisher.tell(
        "throttle-policies",
        "throttle-policy.created",
        {"policyType": "subscription", "policy": policy},
        tenant="acme.com",
    )
    acme = publisher.auth(VIEW, user="bob@acme.com", tenant="acme.com")
    found = await publisher.client.get(f"{BASE}/throttling-policies/subscription/Partner", headers=acme)
    assert (found.json()["requestCount"], found.json()["stopOnQuotaReach"]) == (42, False)
    here = await publisher.client.get(
        f"{BASE}/throttling-policies/subscription/Partner", headers=publisher.auth(VIEW)
    )
    assert here.status_code == 404
    await publisher.tell(
        "throttle-policies",
        "throttle-policy.deleted",
        {"policyType": "subscription", "policy": policy},
        tenant="acme.com",
    )
    assert (
        await publisher.client.get(f"{BASE}/throttling-policies/subscription/Partner", headers=acme)
    ).status_code == 404


async def test_key_managers_tenants_and_categories_follow_events(publisher: Publisher) -> None:
    listed = await publisher.client.get(f"{BASE}/key-managers", headers=publisher.auth(VIEW))
    assert [k["name"] for k in listed.json()] == ["Resident Key Manager"]
    await publisher.tell(
        "key-managers", "key-manager.created", {"id": "k1", "name": "Okta", "type": "Okta", "enabled": True}
    )
    listed = await publisher.client.get(f"{BASE}/key-managers", headers=publisher.auth(VIEW))
    assert [k["name"] for k in listed.json()] == ["Okta", "Resident Key Manager"]
    await publisher.tell("tenants", "tenant.created", {"domain": "acme.com", "status": "ACTIVE"})
    tenants = await publisher.client.get(f"{BASE}/tenants", headers=publisher.auth(VIEW))
    assert [t["domain"] for t in tenants.json()["list"]] == ["acme.com"]
    await publisher.tell("api-categories", "api-category.created", {"id": "c1", "name": "Food"})
    await publisher.create_api({"categories": ["Food"]})
    categories = await publisher.client.get(f"{BASE}/api-categories", headers=publisher.auth(VIEW))
    assert categories.json()["list"] == [{"id": "c1", "name": "Food", "description": None, "numberOfAPIs": 1}]


async def test_linter_rules_and_external_stores_come_from_tenant_config(publisher: Publisher) -> None:
    assert (
        await publisher.client.get(f"{BASE}/linter-custom-rules", headers=publisher.auth(VIEW))
    ).status_code == 204
    config = {
        "LinterCustomRules": {"rules": {"no-empty-paths": {"severity": "error"}}},
        "ExternalStores": [
            {"id": "partner", "displayName": "Partner Store", "endpoint": "https://partner.example.com"}
        ],
    }
    await publisher.tell("tenants", "tenant-config.updated", {"config": config})
    rules = await publisher.client.get(f"{BASE}/linter-custom-rules", headers=publisher.auth(VIEW))
    assert rules.json() == config["LinterCustomRules"]
    stores = await publisher.client.get(f"{BASE}/external-stores", headers=publisher.auth(VIEW))
    assert [s["id"] for s in stores.json()] == ["partner"]
    api = await publisher.create_api()
    refused = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/publish-to-external-stores",
        params={"externalStoreIds": "partner"},
        headers=publisher.auth(),
    )
    assert refused.status_code == 400
    await publisher.lifecycle(api["id"], "Publish")
    unknown = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/publish-to-external-stores",
        params={"externalStoreIds": "nope"},
        headers=publisher.auth(),
    )
    assert unknown.status_code == 404
    published = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/publish-to-external-stores",
        params={"externalStoreIds": "partner"},
        headers=publisher.auth(),
    )
    assert [s["id"] for s in published.json()] == ["partner"]
    listed = await publisher.client.get(f"{BASE}/apis/{api['id']}/external-stores", headers=publisher.auth())
    assert [s["displayName"] for s in listed.json()] == ["Partner Store"]
