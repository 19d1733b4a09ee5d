"""The internal read of an OAuth client shows its secret to the client's owner only."""

from __future__ import annotations

from typing import Any

from tests.key_manager.conftest import KeyManagerClient

INTERNAL = "/api/am/keymanager/v1/internal"


async def _app_client(km: KeyManagerClient, owner: str, name: str = "App_PRODUCTION") -> dict[str, Any]:
    r = await km.http.post(
        f"{INTERNAL}/clients",
        json={
            "clientName": name,
            "owner": owner,
            "grantTypes": ["client_credentials"],
            "applicationId": name,
        },
        headers=await km.service_headers(),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _read(km: KeyManagerClient, client_id: str, **params: str) -> Any:
    return await km.http.get(
        f"{INTERNAL}/clients/{client_id}", params=params, headers=await km.service_headers()
    )


async def test_the_owner_reads_their_application_client_with_its_secret(km: KeyManagerClient) -> None:
    await km.create_user("alice", "pw-alice", ["Internal/subscriber"])
    created = await _app_client(km, "alice")
    r = await _read(km, created["clientId"], owner="alice", tenant="carbon.super")
    assert r.status_code == 200, r.text
    assert r.json()["clientSecret"] == created["clientSecret"]


async def test_another_users_client_is_not_found_and_its_secret_not_shown(km: KeyManagerClient) -> None:
    await km.create_user("alice", "pw-alice", ["Internal/subscriber"])
    await km.create_user("mallory", "pw-mallory", ["Internal/subscriber"])
    victim = await _app_client(km, "alice")
    r = await _read(km, victim["clientId"], owner="mallory", tenant="carbon.super")
    assert r.status_code == 404
    assert victim["clientSecret"] not in r.text


async def test_the_admins_dcr_client_is_never_read_through_the_internal_api(km: KeyManagerClient) -> None:
    dcr = await km.register("admin_rest_tools")
    r = await _read(km, dcr["clientId"], owner="admin", tenant="carbon.super")
    assert r.status_code == 404
    assert dcr["clientSecret"] not in r.text


async def test_a_client_of_another_tenant_is_not_found(km: KeyManagerClient) -> None:
    body = {"domain": "acme.com", "adminUsername": "admin", "adminPassword": "pw-acme"}
    r = await km.http.post(f"{INTERNAL}/tenants", json=body, headers=await km.service_headers())
    assert r.status_code == 201, r.text
    theirs = await _app_client(km, "admin@acme.com")
    r = await _read(km, theirs["clientId"], owner="admin", tenant="carbon.super")
    assert r.status_code == 404
    assert theirs["clientSecret"] not in r.text


async def test_a_read_that_names_no_owner_is_refused(km: KeyManagerClient) -> None:
    created = await _app_client(km, "admin")
    r = await _read(km, created["clientId"])
    assert r.status_code == 400
    assert created["clientSecret"] not in r.text


async def test_the_internal_client_is_not_found(km: KeyManagerClient) -> None:
    r = await _read(km, "apim-internal-services", owner="apim-internal-services", tenant="carbon.super")
    assert r.status_code == 404
