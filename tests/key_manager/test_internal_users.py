"""Internal user look-up: another service asks whether a name is an active user of one tenant."""

from __future__ import annotations

from tests.key_manager.conftest import KeyManagerClient

USERS = "/api/am/keymanager/v1/internal/users"


async def _tenant(km: KeyManagerClient, domain: str, admin: str) -> None:
    body = {"domain": domain, "adminUsername": admin, "adminPassword": f"pw-{admin}"}
    created = await km.http.post(
        "/api/am/keymanager/v1/internal/tenants", json=body, headers=await km.service_headers()
    )
    assert created.status_code == 201, created.text


async def test_a_user_of_the_tenant_is_found_by_the_name_their_tokens_carry(km: KeyManagerClient) -> None:
    await _tenant(km, "acme.com", "boss")
    service = await km.service_headers()
    found = await km.http.get(f"{USERS}/boss", params={"tenant": "acme.com"}, headers=service)
    assert found.status_code == 200
    assert (found.json()["username"], found.json()["tenant"]) == ("boss@acme.com", "acme.com")
    qualified = await km.http.get(f"{USERS}/boss@acme.com", params={"tenant": "acme.com"}, headers=service)
    assert qualified.json()["username"] == "boss@acme.com"
    await km.create_user("carol", "pw-carol", ["teamA"])
    carol = await km.http.get(f"{USERS}/carol", params={"tenant": "carbon.super"}, headers=service)
    assert carol.json()["username"] == "carol"
    assert "teamA" in carol.json()["roles"]


async def test_a_user_of_another_tenant_is_not_found(km: KeyManagerClient) -> None:
    await _tenant(km, "acme.com", "boss")
    service = await km.service_headers()
    for name, tenant in (("admin", "acme.com"), ("boss@acme.com", "carbon.super"), ("boss", "carbon.super")):
        response = await km.http.get(f"{USERS}/{name}", params={"tenant": tenant}, headers=service)
        assert response.status_code == 404, (name, tenant)


async def test_the_user_look_up_refuses_user_tokens(km: KeyManagerClient) -> None:
    response = await km.http.get(
        f"{USERS}/admin", params={"tenant": "carbon.super"}, headers=await km.admin_headers()
    )
    assert response.status_code == 403
