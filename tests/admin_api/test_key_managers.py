"""Key managers: resident, by hand, discovered, permissions, global ones and their usage."""

from typing import Any

from tests.admin_api.harness import WELL_KNOWN, Admin

OKTA: dict[str, Any] = {
    "name": "Okta",
    "type": "Okta",
    "issuer": "https://acme.okta.com",
    "certificates": {"type": "JWKS", "value": "https://acme.okta.com/keys"},
    "consumerKeyClaim": "cid",
    "scopesClaim": "scp",
    "claimMapping": [{"remoteClaim": "groups", "localClaim": "http://wso2.org/claims/role"}],
    "permissions": {"permissionType": "ALLOW", "roles": ["partners"]},
}


async def test_the_resident_key_manager_exists_and_cannot_be_deleted(admin: Admin) -> None:
    listed = (await admin.get("/key-managers")).json()
    resident = next(k for k in listed["list"] if k["name"] == "Resident Key Manager")
    assert resident["type"] == "default"
    assert resident["isGlobal"] is False
    assert (await admin.delete(f"/key-managers/{resident['id']}")).status_code == 400


async def test_a_third_party_key_manager_keeps_claims_and_permissions(admin: Admin) -> None:
    created = await admin.post("/key-managers", json=OKTA)
    assert created.status_code == 201, created.text
    shown = (await admin.get(f"/key-managers/{created.json()['id']}")).json()
    assert (shown["consumerKeyClaim"], shown["scopesClaim"]) == ("cid", "scp")
    assert shown["permissions"] == {"permissionType": "ALLOW", "roles": ["partners"]}
    assert shown["certificates"] == {"type": "JWKS", "value": "https://acme.okta.com/keys"}
    event = (await admin.events_of("key-managers"))[0]
    assert event.type == "key-manager.created"
    assert event.data["permissions"]["permissionType"] == "ALLOW"
    assert event.data["global"] is False


async def test_restricted_permissions_need_roles_and_self_validation_needs_keys(admin: Admin) -> None:
    no_roles = {**OKTA, "permissions": {"permissionType": "DENY", "roles": []}}
    assert (await admin.post("/key-managers", json=no_roles)).status_code == 400
    no_keys = {k: v for k, v in OKTA.items() if k != "certificates"}
    assert (await admin.post("/key-managers", json=no_keys)).status_code == 400


async def test_discover_prefills_a_key_manager_from_a_well_known_url(admin: Admin) -> None:
    url = "http://peers/idp/.well-known/openid-configuration"
    response = await admin.post("/key-managers/discover", data={"url": url, "type": "KeyCloak"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert body["value"]["issuer"] == WELL_KNOWN["issuer"]
    assert body["value"]["certificates"] == {"type": "JWKS", "value": WELL_KNOWN["jwks_uri"]}
    assert body["value"]["tokenEndpoint"] == WELL_KNOWN["token_endpoint"]
    missing = await admin.post("/key-managers/discover", data={"url": "http://peers/nothing", "type": "x"})
    assert missing.json()["valid"] is False


async def test_a_global_key_manager_is_visible_to_every_tenant_but_managed_by_the_super_tenant(
    admin: Admin,
) -> None:
    created = await admin.post("/global-key-managers", json={**OKTA, "name": "Shared"})
    assert created.status_code == 201
    acme = admin.auth(tenant="acme.com")
    listed = (await admin.get("/key-managers", headers=acme)).json()["list"]
    assert [k["name"] for k in listed if k["isGlobal"]] == ["Shared"]
    assert (await admin.get(f"/global-key-managers/{created.json()['id']}", headers=acme)).status_code == 200
    refused = await admin.post("/global-key-managers", json={**OKTA, "name": "Mine"}, headers=acme)
    assert refused.status_code == 403
    assert (
        await admin.delete(f"/global-key-managers/{created.json()['id']}", headers=acme)
    ).status_code == 403


async def test_usages_come_from_events_and_a_used_key_manager_cannot_be_deleted(admin: Admin) -> None:
    created = (await admin.post("/key-managers", json=OKTA)).json()
    await admin.publish(
        "applications",
        "application.created",
        "app-1",
        {"applicationId": "app-1", "name": "Shop", "owner": "bob"},
    )
    mapping = {"applicationId": "app-1", "keyType": "PRODUCTION", "keyManager": "Okta", "consumerKey": "ck"}
    await admin.publish("keys", "key-mapping.created", "app-1", mapping)
    api = {
        "id": "api-1",
        "name": "Pets",
        "version": "1",
        "context": "/pets",
        "provider": "alice",
        "keyManagers": ["Okta"],
    }
    await admin.publish("apis", "api.created", "api-1", api)
    apps = (await admin.get(f"/key-managers/{created['id']}/app-usages")).json()
    assert apps["applicationCount"] == 1
    assert apps["applications"][0]["name"] == "Shop"
    apis = (await admin.get(f"/key-managers/{created['id']}/api-usages")).json()
    assert [a["name"] for a in apis["apis"]] == ["Pets"]
    assert (await admin.delete(f"/key-managers/{created['id']}")).status_code == 409
    await admin.publish("keys", "key-mapping.deleted", "app-1", mapping)
    assert (await admin.delete(f"/key-managers/{created['id']}")).status_code == 200
