"""Tenants: created through the key manager, seeded with defaults, listed and deactivated."""

import httpx

from tests.admin_api.harness import Admin

ACME = {
    "domain": "acme.com",
    "adminUsername": "root",
    "adminPassword": "s3cret-pass",
    "email": "root@acme.com",
}


async def test_creating_a_tenant_creates_its_admin_in_the_key_manager(admin: Admin) -> None:
    response = await admin.post("/tenants", json=ACME)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "ACTIVE"
    [call] = admin.peers.to("/api/am/keymanager/v1/internal/tenants")
    assert call["authorization"] == "Bearer service-token"
    assert call["json"]["domain"] == "acme.com"
    assert call["json"]["adminUsername"] == "root"
    assert call["json"]["adminPassword"] == "s3cret-pass"
    [token] = admin.peers.to("/oauth2/token")
    assert token["method"] == "POST"
    events = await admin.events_of("tenants")
    assert [(e.type, e.data["domain"], e.data["status"]) for e in events] == [
        ("tenant.created", "acme.com", "ACTIVE")
    ]


async def test_a_new_tenant_starts_with_the_default_tiers_and_gateway(admin: Admin) -> None:
    await admin.post("/tenants", json=ACME)
    acme = admin.auth(tenant="acme.com", user="root@acme.com")
    tiers = (await admin.get("/throttling/policies/subscription", headers=acme)).json()["list"]
    assert "Gold" in [t["policyName"] for t in tiers]
    environments = (await admin.get("/environments", headers=acme)).json()["list"]
    assert [e["name"] for e in environments] == ["Default"]


async def test_only_super_tenant_administrators_manage_tenants(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    assert (await admin.get("/tenants", headers=acme)).status_code == 403
    assert (
        await admin.post("/tenants", json={**ACME, "domain": "globex.com"}, headers=acme)
    ).status_code == 403
    assert admin.peers.to("/api/am/keymanager/v1/internal/tenants") == []


async def test_a_tenant_is_deactivated_and_listed_with_its_status(admin: Admin) -> None:
    await admin.post("/tenants", json=ACME)
    response = await admin.put("/tenants/acme.com/status", json={"status": "INACTIVE"})
    assert response.json()["status"] == "INACTIVE"
    listed = (await admin.get("/tenants")).json()["list"]
    assert [(t["domain"], t["status"]) for t in listed] == [("acme.com", "INACTIVE")]
    updates = [e for e in await admin.events_of("tenants") if e.type == "tenant.updated"]
    assert updates[0].data["status"] == "INACTIVE"


async def test_an_existing_tenant_is_a_conflict(admin: Admin) -> None:
    assert (await admin.post("/tenants", json={**ACME, "domain": "taken.com"})).status_code == 409
    await admin.post("/tenants", json=ACME)
    assert (await admin.post("/tenants", json=ACME)).status_code == 409


async def test_tenant_info_resolves_a_username_to_its_tenant(admin: Admin) -> None:
    await admin.post("/tenants", json=ACME)
    info = (await admin.get("/tenant-info/root@acme.com")).json()
    assert info["tenantDomain"] == "acme.com"
    assert info["username"] == "root"
    assert info["tenantId"] >= 1
    assert (await admin.get("/tenant-info/admin")).json()["tenantId"] == -1234
    assert (await admin.get("/tenant-info/x@nowhere.org")).status_code == 404
    assert (await admin.get("/custom-urls/acme.com")).json()["tenantAdminUsername"] == "root"


async def test_deactivating_a_tenant_tells_the_key_manager_which_refuses_its_tokens(admin: Admin) -> None:
    await admin.post("/tenants", json=ACME)
    response = await admin.put("/tenants/acme.com/status", json={"status": "INACTIVE"})
    assert response.status_code == 200, response.text
    [call] = admin.peers.to("/api/am/keymanager/v1/internal/tenants/acme.com/status")
    assert (call["method"], call["json"]) == ("PUT", {"status": "INACTIVE"})
    assert call["authorization"] == "Bearer service-token"


async def test_a_tenant_stays_active_when_the_key_manager_cannot_be_told(admin: Admin) -> None:
    await admin.post("/tenants", json=ACME)

    def key_manager_down(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(500, json={"error": "down"})
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})

    admin.app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(key_manager_down))
    try:
        response = await admin.put("/tenants/acme.com/status", json={"status": "INACTIVE"})
    finally:
        await admin.app.state.http.aclose()
    assert response.status_code == 503, response.text
    assert (await admin.get("/tenants/acme.com")).json()["status"] == "ACTIVE"
