"""Change of an application's owner and of an API's provider stays inside the administrator's
tenant: the new owner must be a user of that tenant, and the other service is told the tenant."""

from __future__ import annotations

from tests.admin_api.harness import Admin

DEVPORTAL_CHANGE = "/api/am/devportal/v3/internal/applications/app-1/change-owner"
PUBLISHER_CHANGE = "/api/am/publisher/v4/internal/apis/api-1/change-provider"


async def test_an_owner_who_is_not_a_user_of_the_admins_tenant_is_400(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    r = await admin.post("/applications/app-1/change-owner", params={"owner": "mallory"}, headers=acme)
    assert r.status_code == 400
    assert "acme.com" in r.json()["description"]
    assert admin.peers.to(DEVPORTAL_CHANGE) == []


async def test_a_user_of_another_tenant_cannot_be_made_owner(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    r = await admin.post("/applications/app-1/change-owner", params={"owner": "alice"}, headers=acme)
    assert r.status_code == 400
    assert admin.peers.to(DEVPORTAL_CHANGE) == []


async def test_the_devportal_is_told_the_admins_tenant_and_the_owners_full_name(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    r = await admin.post("/applications/app-1/change-owner", params={"owner": "carol"}, headers=acme)
    assert r.status_code == 200
    [change] = admin.peers.to(DEVPORTAL_CHANGE)
    assert change["query"] == {"owner": "carol@acme.com", "tenant": "acme.com"}


async def test_a_provider_who_is_not_a_user_of_the_admins_tenant_is_400(admin: Admin) -> None:
    acme = admin.auth("apim:api_provider_change", tenant="acme.com")
    r = await admin.post("/apis/api-1/change-provider", params={"provider": "alice"}, headers=acme)
    assert r.status_code == 400
    assert admin.peers.to(PUBLISHER_CHANGE) == []


async def test_the_publisher_is_told_the_admins_tenant_with_the_new_provider(admin: Admin) -> None:
    acme = admin.auth("apim:api_provider_change", tenant="acme.com")
    r = await admin.post("/apis/api-1/change-provider", params={"provider": "carol"}, headers=acme)
    assert r.status_code == 200
    [change] = admin.peers.to(PUBLISHER_CHANGE)
    assert change["query"] == {"provider": "carol@acme.com", "tenant": "acme.com"}
