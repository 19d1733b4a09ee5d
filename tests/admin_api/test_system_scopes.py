"""Admin RBAC: scope -> roles per tenant and role aliases, announced to the key manager."""

from tests.admin_api.harness import Admin


async def test_default_mapping_gives_admin_scopes_to_the_admin_role(admin: Admin) -> None:
    scopes = {s["name"]: s["roles"] for s in (await admin.get("/system-scopes")).json()["list"]}
    assert scopes["apim:admin"] == ["admin"]
    assert "Internal/subscriber" in scopes["apim:subscribe"]
    assert (await admin.get("/system-scopes/apim:tier_view")).json() == {"name": "apim:tier_view"}
    assert (await admin.get("/system-scopes/apim:nothing")).status_code == 404


async def test_changing_a_scope_role_is_stored_and_announced(admin: Admin) -> None:
    body = {"count": 1, "list": [{"name": "apim:tier_view", "roles": ["admin", "ops"]}]}
    response = await admin.put("/system-scopes", json=body)
    assert response.status_code == 200
    scopes = {s["name"]: s["roles"] for s in (await admin.get("/system-scopes")).json()["list"]}
    assert scopes["apim:tier_view"] == ["admin", "ops"]
    event = (await admin.events_of("system-scopes"))[0]
    assert event.type == "system-scopes.updated"
    assert {"name": "apim:tier_view", "roles": ["admin", "ops"]} in event.data["scopes"]
    assert (
        await admin.put("/system-scopes", json={"list": [{"name": "apim:made_up", "roles": []}]})
    ).status_code == 400


async def test_role_aliases_replace_and_announce(admin: Admin) -> None:
    assert (await admin.get("/system-scopes/role-aliases")).json()["list"] == []
    body = {"count": 1, "list": [{"role": "admin", "aliases": ["platform-admins"]}]}
    assert (await admin.put("/system-scopes/role-aliases", json=body)).status_code == 200
    assert (await admin.get("/system-scopes/role-aliases")).json()["list"] == body["list"]
    event = (await admin.events_of("system-scopes"))[-1]
    assert event.data["roleAliases"] == [{"role": "admin", "aliases": ["platform-admins"]}]
    other = admin.auth(tenant="acme.com")
    assert (await admin.get("/system-scopes/role-aliases", headers=other)).json()["list"] == []
