"""API categories, and the admin's API and application listings and owner changes."""

from tests.admin_api.harness import Admin


async def test_a_category_is_added_renamed_and_removed_with_events(admin: Admin) -> None:
    created = await admin.post("/api-categories", json={"name": "Finance", "description": "money"})
    assert created.status_code == 201
    category_id = created.json()["id"]
    assert (await admin.post("/api-categories", json={"name": "Finance"})).status_code == 409
    renamed = await admin.put(f"/api-categories/{category_id}", json={"name": "Banking"})
    assert renamed.json()["name"] == "Banking"
    assert (await admin.delete(f"/api-categories/{category_id}")).status_code == 200
    types = [e.type for e in await admin.events_of("api-categories")]
    assert types == ["api-category.created", "api-category.updated", "api-category.deleted"]


async def test_a_category_attached_to_an_api_is_counted_and_kept(admin: Admin) -> None:
    category_id = (await admin.post("/api-categories", json={"name": "Finance"})).json()["id"]
    api = {"id": "api-1", "name": "Pay", "version": "1", "context": "/pay", "categories": ["Finance"]}
    await admin.publish("apis", "api.created", "api-1", api)
    listed = (await admin.get("/api-categories")).json()["list"]
    assert listed[0]["numberOfAPIs"] == 1
    assert (await admin.delete(f"/api-categories/{category_id}")).status_code == 409


async def test_the_api_listing_and_change_provider_go_to_the_publisher(admin: Admin) -> None:
    listed = await admin.get(
        "/apis", params={"query": "name:Pizza"}, headers=admin.auth("apim:api_provider_change")
    )
    assert listed.status_code == 200
    assert listed.json()["apis"] == [
        {"provider": "alice", "name": "PizzaShack", "version": "1.0.0", "id": "api-1"}
    ]
    [call] = admin.peers.to("/api/am/publisher/v4/internal/apis")
    assert call["query"]["tenant"] == "carbon.super"
    assert call["query"]["query"] == "name:Pizza"
    assert call["authorization"] == "Bearer service-token"
    changed = await admin.post("/apis/api-1/change-provider", params={"provider": "carol"})
    assert changed.status_code == 200
    [change] = admin.peers.to("/api/am/publisher/v4/internal/apis/api-1/change-provider")
    assert change["query"]["provider"] == "carol"
    assert (
        await admin.post("/apis/missing/change-provider", params={"provider": "carol"})
    ).status_code == 404


async def test_applications_are_listed_and_change_owner_through_the_devportal(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    listed = await admin.get(
        "/applications", params={"user": "bob", "tenantDomain": "other.com"}, headers=acme
    )
    assert listed.json()["list"][0]["name"] == "Shop"
    [call] = admin.peers.to("/api/am/devportal/v3/internal/applications")
    assert call["query"]["tenant"] == "acme.com"
    assert call["query"]["user"] == "bob"
    changed = await admin.post("/applications/app-1/change-owner", params={"owner": "carol"})
    assert changed.status_code == 200
    [change] = admin.peers.to("/api/am/devportal/v3/internal/applications/app-1/change-owner")
    assert change["query"]["owner"] == "carol"
