"""Internal endpoints: service tokens only; tenants, applications' OAuth clients, API keys."""

from __future__ import annotations

import jwt

from tests.key_manager.conftest import KeyManagerClient, basic

INTERNAL = "/api/am/keymanager/v1/internal"


async def test_the_internal_client_gets_a_service_token(km: KeyManagerClient) -> None:
    headers = await km.service_headers()
    claims = jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})
    assert claims["scope"] == "apim:internal"
    assert "roles" not in claims


async def test_internal_endpoints_refuse_user_tokens(km: KeyManagerClient) -> None:
    body = {"domain": "acme.com", "adminUsername": "admin", "adminPassword": "pw"}
    r = await km.http.post(f"{INTERNAL}/tenants", json=body, headers=await km.admin_headers("apim:admin"))
    assert r.status_code == 403
    anonymous = await km.http.post(f"{INTERNAL}/tenants", json=body)
    assert anonymous.status_code == 401


async def test_a_tenant_admin_signs_in_as_user_at_tenant(km: KeyManagerClient) -> None:
    service = await km.service_headers()
    body = {
        "domain": "acme.com",
        "adminUsername": "boss",
        "adminPassword": "pw-boss",
        "email": "boss@acme.com",
    }
    r = await km.http.post(f"{INTERNAL}/tenants", json=body, headers=service)
    assert r.status_code == 201
    again = await km.http.post(f"{INTERNAL}/tenants", json=body, headers=service)
    assert again.status_code == 409
    client = await km.register("tenant_tools", owner="boss@acme.com", auth=("boss@acme.com", "pw-boss"))
    token = await km.password_token(client, "boss@acme.com", "pw-boss", "apim:api_create")
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "boss@acme.com"
    assert claims["tenant"] == "acme.com"
    assert token["scope"] == "apim:api_create"


async def test_a_tenant_admin_manages_only_their_tenants_users(km: KeyManagerClient) -> None:
    service = await km.service_headers()
    body = {"domain": "beta.org", "adminUsername": "root", "adminPassword": "pw-root"}
    assert (await km.http.post(f"{INTERNAL}/tenants", json=body, headers=service)).status_code == 201
    created = await km.http.post(
        "/scim2/Users",
        json={"userName": "zoe", "password": "pw-zoe"},
        headers=basic("root@beta.org", "pw-root"),
    )
    assert created.status_code == 201
    assert created.json()["userName"] == "zoe@beta.org"
    listed = await km.http.get("/scim2/Users", headers=basic("root@beta.org", "pw-root"))
    assert {u["userName"] for u in listed.json()["Resources"]} == {"root@beta.org", "zoe@beta.org"}


async def test_application_clients_are_created_regenerated_and_deleted(km: KeyManagerClient) -> None:
    service = await km.service_headers()
    r = await km.http.post(
        f"{INTERNAL}/clients",
        json={
            "clientName": "admin_PizzaApp_PRODUCTION",
            "owner": "admin",
            "grantTypes": ["client_credentials"],
        },
        headers=service,
    )
    assert r.status_code == 201
    created = r.json()
    app_client = {"clientId": created["clientId"], "clientSecret": created["clientSecret"]}
    old = (await km.token(app_client, grant_type="client_credentials")).json()["access_token"]

    regenerated = await km.http.post(
        f"{INTERNAL}/clients/{created['clientId']}/regenerate-secret", headers=service
    )
    assert regenerated.status_code == 200
    new_secret = regenerated.json()["clientSecret"]
    assert new_secret != created["clientSecret"]
    assert (await km.token(app_client, grant_type="client_credentials")).status_code == 401
    fresh_client = {**app_client, "clientSecret": new_secret}
    fresh = await km.token(fresh_client, grant_type="client_credentials")
    assert fresh.status_code == 200
    info = await km.http.post(
        "/oauth2/introspect", data={"token": old}, auth=(created["clientId"], new_secret)
    )
    assert info.json()["active"] is False
    info = await km.http.post(
        "/oauth2/introspect",
        data={"token": fresh.json()["access_token"]},
        auth=(created["clientId"], new_secret),
    )
    assert info.json()["active"] is True

    deleted = await km.http.delete(f"{INTERNAL}/clients/{created['clientId']}", headers=service)
    assert deleted.status_code == 204
    assert (await km.token(fresh_client, grant_type="client_credentials")).status_code == 401


async def test_an_api_key_is_signed_with_the_published_api_key_key(km: KeyManagerClient) -> None:
    body = {
        "username": "admin",
        "keyType": "PRODUCTION",
        "application": {"uuid": "app-1", "name": "PizzaApp", "owner": "admin", "tier": "Unlimited"},
        "subscribedAPIs": [{"name": "PizzaShackAPI", "context": "/pizza/1.0.0", "version": "1.0.0"}],
        "validityPeriod": 600,
    }
    r = await km.http.post(f"{INTERNAL}/api-keys", json=body, headers=await km.service_headers())
    assert r.status_code == 200
    key = r.json()["apikey"]
    kid = jwt.get_unverified_header(key)["kid"]
    published = {k["kid"]: k for k in (await km.jwks())["keys"]}
    claims = jwt.decode(key, key=jwt.PyJWK(published[kid]).key, algorithms=["RS256"])
    assert claims["keytype"] == "PRODUCTION"
    assert claims["application"]["name"] == "PizzaApp"
    assert claims["subscribedAPIs"][0]["context"] == "/pizza/1.0.0"
    assert claims["exp"] - claims["iat"] == 600
    access = await km.password_token(await km.register(), "admin", "admin")
    assert jwt.get_unverified_header(access["access_token"])["kid"] != kid
