"""The catalog is a read model of the publisher's events: visibility, tenants and lifecycle."""

import base64

from tests.devportal_api.conftest import BASE, Portal, api_dto


async def _ids(portal: Portal, **kwargs: object) -> list[str]:
    r = await portal.client.get(f"{BASE}/apis", **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return [a["id"] for a in r.json()["list"]]


async def test_the_catalog_follows_publish_block_and_retire_events(portal: Portal) -> None:
    api = api_dto(name="Weather", lifeCycleStatus="CREATED")
    await portal.publish("apis", "api.created", api["id"], api)
    assert await _ids(portal) == []
    await portal.publish(
        "apis",
        "api.lifecycle-changed",
        api["id"],
        {"apiId": api["id"], "previousState": "CREATED", "state": "PUBLISHED", **api},
    )
    assert await _ids(portal) == [api["id"]]
    await portal.publish("apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "BLOCKED"})
    assert await _ids(portal) == []
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}")).status_code == 404
    await portal.publish(
        "apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "PUBLISHED"}
    )
    assert await _ids(portal) == [api["id"]]
    await portal.publish("apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "RETIRED"})
    assert await _ids(portal) == []


async def test_a_replayed_event_changes_nothing(portal: Portal) -> None:
    api = api_dto(name="Weather")
    first = await portal.publish("apis", "api.created", api["id"], api)
    await portal.publish("apis", "api.lifecycle-changed", api["id"], {"apiId": api["id"], "state": "BLOCKED"})
    await portal.publish("apis", "api.created", api["id"], api, event_id=first.id)
    assert await _ids(portal) == []


async def test_a_deleted_api_leaves_the_catalog(portal: Portal) -> None:
    api = await portal.publish_api(name="Weather")
    await portal.publish("apis", "api.deleted", api["id"], api)
    assert await _ids(portal) == []


async def test_anonymous_callers_see_only_public_apis(portal: Portal) -> None:
    public = await portal.publish_api(name="Open")
    await portal.publish_api(name="Private", visibility="PRIVATE")
    assert await _ids(portal) == [public["id"]]


async def test_restricted_apis_show_to_holders_of_a_visible_role(portal: Portal) -> None:
    restricted = await portal.publish_api(name="Partners", visibility="RESTRICTED", visibleRoles=["partner"])
    assert await _ids(portal, headers=portal.headers("bob", roles=["Internal/subscriber"])) == []
    assert await _ids(portal, headers=portal.headers("carol", roles=["partner"])) == [restricted["id"]]


async def test_private_apis_show_to_signed_in_users_of_their_tenant_only(portal: Portal) -> None:
    private = await portal.publish_api(name="Internal", visibility="PRIVATE")
    assert await _ids(portal, headers=portal.headers("bob")) == [private["id"]]
    outsider = portal.headers("eve@acme.com", tenant="acme.com")
    assert await _ids(portal, headers={**outsider, "X-WSO2-Tenant": "carbon.super"}) == []


async def test_each_tenant_has_its_own_catalog_chosen_by_header_or_path(portal: Portal) -> None:
    mine = await portal.publish_api(name="Acme", tenant="acme.com")
    await portal.publish_api(name="Super")
    assert await _ids(portal, headers={"X-WSO2-Tenant": "acme.com"}) == [mine["id"]]
    r = await portal.client.get(f"/t/acme.com{BASE}/apis")
    assert [a["id"] for a in r.json()["list"]] == [mine["id"]]
    assert (await portal.client.get(f"{BASE}/apis/{mine['id']}")).status_code == 404


async def test_an_api_shows_its_tiers_business_information_and_endpoint_urls(portal: Portal) -> None:
    api = await portal.publish_api(
        name="Pizza", context="/pizza", isDefaultVersion=True, monetization={"enabled": True}
    )
    await portal.publish(
        "deployments",
        "deployment.deployed",
        api["id"],
        {"apiId": api["id"], "revisionId": "r1", "environment": "Default", "vhost": "localhost"},
    )
    r = await portal.client.get(f"{BASE}/apis/{api['id']}")
    body = r.json()
    assert [t["tierName"] for t in body["tiers"]] == ["Unlimited", "Gold"]
    assert body["businessInformation"]["businessOwnerEmail"] == "jane@example.com"
    assert body["monetization"]["enabled"] is True
    assert body["endpointURLs"][0]["URLs"]["https"] == "https://localhost:8243/pizza/1.0.0"
    assert body["environmentList"] == ["Default"]
    r = await portal.client.get(f"{BASE}/apis")
    assert r.json()["list"][0]["monetizedInfo"] is True


async def test_the_swagger_is_built_from_the_operations_when_the_publisher_sent_none(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/swagger")
    assert r.status_code == 200
    assert "get" in r.json()["paths"]["/menu"]
    assert r.json()["info"]["title"] == "Pizza"


async def test_documents_and_their_inline_content_come_from_the_api(portal: Portal) -> None:
    docs = [
        {
            "documentId": "d1",
            "name": "Guide",
            "type": "HOWTO",
            "sourceType": "INLINE",
            "inlineContent": "Order pizza",
        },
        {
            "documentId": "d2",
            "name": "Site",
            "type": "OTHER",
            "sourceType": "URL",
            "sourceUrl": "https://example.com",
        },
    ]
    api = await portal.publish_api(name="Pizza", documents=docs)
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/documents")
    assert [d["documentId"] for d in r.json()["list"]] == ["d1", "d2"]
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d1/content")
    assert r.text == "Order pizza"
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/documents/d2/content")
    assert r.status_code == 303
    assert r.headers["location"] == "https://example.com"
    assert (await portal.client.get(f"{BASE}/apis/{api['id']}/documents/nope")).status_code == 404


async def test_the_thumbnail_is_served_with_its_media_type(portal: Portal) -> None:
    image = b"\x89PNG fake"
    api = await portal.publish_api(
        name="Pizza", thumbnail={"mediaType": "image/png", "content": base64.b64encode(image).decode()}
    )
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/thumbnail")
    assert r.content == image
    assert r.headers["content-type"] == "image/png"
    other = await portal.publish_api(name="Plain")
    assert (await portal.client.get(f"{BASE}/apis/{other['id']}/thumbnail")).status_code == 404


async def test_subscription_policies_are_the_apis_tiers_in_detail(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza", policies=["Gold", "Bronze"])
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/subscription-policies")
    assert [(p["name"], p["requestCount"]) for p in r.json()] == [("Gold", 5000), ("Bronze", 1000)]


async def test_tags_are_counted_over_visible_apis(portal: Portal) -> None:
    await portal.publish_api(name="A", tags=["food", "pizza"])
    await portal.publish_api(name="B", tags=["food"])
    await portal.publish_api(name="C", tags=["secret"], visibility="PRIVATE")
    r = await portal.client.get(f"{BASE}/tags")
    assert {t["value"]: t["count"] for t in r.json()["list"]} == {"food": 2, "pizza": 1}


async def test_api_categories_come_from_the_admin_events(portal: Portal) -> None:
    await portal.publish(
        "api-categories",
        "api-category.created",
        "c1",
        {"id": "c1", "name": "Finance", "description": "Money"},
    )
    r = await portal.client.get(f"{BASE}/api-categories")
    assert r.json()["list"] == [{"id": "c1", "name": "Finance", "description": "Money"}]


async def test_application_tiers_are_defaults_until_the_admin_announces_more(portal: Portal) -> None:
    r = await portal.client.get(f"{BASE}/throttling-policies/application")
    assert [p["name"] for p in r.json()["list"]] == ["Unlimited", "10PerMin", "20PerMin", "50PerMin"]
    policy = {
        "policyId": "p1",
        "policyName": "5PerMin",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 5},
        },
    }
    await portal.publish(
        "throttle-policies", "throttle-policy.created", "p1", {"policyType": "application", "policy": policy}
    )
    r = await portal.client.get(f"{BASE}/throttling-policies/application/5PerMin")
    assert r.json()["requestCount"] == 5
    await portal.publish(
        "throttle-policies", "throttle-policy.deleted", "p1", {"policyType": "application", "policy": policy}
    )
    assert (await portal.client.get(f"{BASE}/throttling-policies/application/5PerMin")).status_code == 404


async def test_tenants_are_listed_from_their_events(portal: Portal) -> None:
    await portal.publish(
        "tenants", "tenant.created", "acme.com", {"domain": "acme.com", "status": "ACTIVE"}, tenant="acme.com"
    )
    r = await portal.client.get(f"{BASE}/tenants")
    assert [t["domain"] for t in r.json()["list"]] == ["carbon.super", "acme.com"]
