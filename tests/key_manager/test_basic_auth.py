"""Internal basic-auth check for gateways: the user's password, roles and role-mapped scopes."""

from __future__ import annotations

from tests.key_manager.conftest import KeyManagerClient

BASIC_AUTH = "/api/am/keymanager/v1/internal/basic-auth"


async def test_right_credentials_answer_the_users_roles_and_the_scopes_they_allow(
    km: KeyManagerClient,
) -> None:
    await km.create_user("carol", "pw-carol", ["Internal/publisher"])
    r = await km.http.post(
        BASIC_AUTH, json={"username": "carol", "password": "pw-carol"}, headers=await km.service_headers()
    )
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True
    assert (body["username"], body["tenant"], body["subject"]) == (
        "carol",
        "carbon.super",
        "carol@carbon.super",
    )
    assert {"Internal/publisher", "Internal/everyone"} <= set(body["roles"])
    assert "apim:api_publish" in body["scopes"]
    assert "apim:admin" not in body["scopes"]
    assert "apim:internal" not in body["scopes"]


async def test_a_wrong_password_and_an_unknown_user_answer_the_same_invalid_result(
    km: KeyManagerClient,
) -> None:
    await km.create_user("dave", "pw-dave", [])
    service = await km.service_headers()
    wrong = await km.http.post(BASIC_AUTH, json={"username": "dave", "password": "nope"}, headers=service)
    unknown = await km.http.post(BASIC_AUTH, json={"username": "nobody", "password": "nope"}, headers=service)
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.json() == unknown.json()
    assert wrong.json()["valid"] is False
    assert wrong.json()["roles"] == []


async def test_a_deactivated_user_is_not_valid(km: KeyManagerClient) -> None:
    user = await km.create_user("erin", "pw-erin", [])
    patched = await km.http.patch(
        f"/scim2/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers={"Authorization": "Basic YWRtaW46YWRtaW4="},
    )
    assert patched.status_code == 200, patched.text
    r = await km.http.post(
        BASIC_AUTH, json={"username": "erin", "password": "pw-erin"}, headers=await km.service_headers()
    )
    assert r.json()["valid"] is False


async def test_a_tenant_user_is_found_by_the_apis_tenant(km: KeyManagerClient) -> None:
    service = await km.service_headers()
    created = await km.http.post(
        "/api/am/keymanager/v1/internal/tenants",
        json={"domain": "acme.com", "adminUsername": "boss", "adminPassword": "pw-boss"},
        headers=service,
    )
    assert created.status_code == 201
    short = await km.http.post(
        BASIC_AUTH, json={"username": "boss", "password": "pw-boss", "tenant": "acme.com"}, headers=service
    )
    assert short.json()["tenant"] == "acme.com"
    qualified = await km.http.post(
        BASIC_AUTH, json={"username": "boss@acme.com", "password": "pw-boss"}, headers=service
    )
    assert qualified.json()["subject"] == "boss@acme.com"
    elsewhere = await km.http.post(
        BASIC_AUTH, json={"username": "boss", "password": "pw-boss"}, headers=service
    )
    assert elsewhere.json()["valid"] is False


async def test_only_service_tokens_may_check_credentials(km: KeyManagerClient) -> None:
    body = {"username": "admin", "password": "admin"}
    assert (await km.http.post(BASIC_AUTH, json=body)).status_code == 401
    user_token = await km.admin_headers("apim:admin")
    assert (await km.http.post(BASIC_AUTH, json=body, headers=user_token)).status_code == 403


async def test_repeated_failures_lock_the_name_even_for_the_right_password(km: KeyManagerClient) -> None:
    await km.create_user("frank", "pw-frank", [])
    service = await km.service_headers()
    for _ in range(km.settings.sign_in_max_failures):
        r = await km.http.post(BASIC_AUTH, json={"username": "frank", "password": "guess"}, headers=service)
        assert r.json()["valid"] is False
    locked = await km.http.post(
        BASIC_AUTH, json={"username": "frank", "password": "pw-frank"}, headers=service
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1
    other = await km.http.post(BASIC_AUTH, json={"username": "admin", "password": "admin"}, headers=service)
    assert other.json()["valid"] is True


async def test_a_success_clears_the_failures_of_the_name(km: KeyManagerClient) -> None:
    await km.create_user("gina", "pw-gina", [])
    service = await km.service_headers()
    for _ in range(km.settings.sign_in_max_failures - 1):
        await km.http.post(BASIC_AUTH, json={"username": "gina", "password": "guess"}, headers=service)
    ok = await km.http.post(BASIC_AUTH, json={"username": "gina", "password": "pw-gina"}, headers=service)
    assert ok.json()["valid"] is True
    again = await km.http.post(BASIC_AUTH, json={"username": "gina", "password": "guess"}, headers=service)
    assert again.status_code == 200
