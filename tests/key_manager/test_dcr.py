"""WSO2's dynamic client registration: 200, idempotent, redirect grants stripped, owner checks."""

from __future__ import annotations

from typing import Any

from tests.key_manager.conftest import DCR, KeyManagerClient, basic


def _profile(**overrides: Any) -> dict[str, Any]:
    return {
        "callbackUrl": "www.google.lk",
        "clientName": "rest_api_devportal",
        "owner": "admin",
        "grantType": "client_credentials password refresh_token",
        "saasApp": True,
        **overrides,
    }


async def test_registering_twice_returns_the_same_client(km: KeyManagerClient) -> None:
    first = await km.http.post(DCR, json=_profile(), headers=basic("admin", "admin"))
    second = await km.http.post(DCR, json=_profile(), headers=basic("admin", "admin"))
    assert second.status_code == 200
    assert second.json()["clientId"] == first.json()["clientId"]
    assert second.json()["clientSecret"] == first.json()["clientSecret"]


async def test_authorization_code_and_implicit_are_stripped(km: KeyManagerClient) -> None:
    r = await km.http.post(
        DCR,
        json=_profile(grantType="authorization_code implicit password refresh_token"),
        headers=basic("admin", "admin"),
    )
    assert r.json()["jsonString"].count("authorization_code") == 0
    assert '"grant_types": "password refresh_token"' in r.json()["jsonString"]


async def test_an_empty_owner_is_400(km: KeyManagerClient) -> None:
    r = await km.http.post(DCR, json=_profile(owner=""), headers=basic("admin", "admin"))
    assert r.status_code == 400


async def test_an_unknown_owner_is_403(km: KeyManagerClient) -> None:
    r = await km.http.post(DCR, json=_profile(owner="ghost"), headers=basic("admin", "admin"))
    assert r.status_code == 403


async def test_a_user_cannot_register_for_someone_else(km: KeyManagerClient) -> None:
    await km.create_user("eve", "pw-eve", ["Internal/subscriber"])
    r = await km.http.post(DCR, json=_profile(owner="admin"), headers=basic("eve", "pw-eve"))
    assert r.status_code == 403
    own = await km.http.post(DCR, json=_profile(owner="eve"), headers=basic("eve", "pw-eve"))
    assert own.status_code == 200
    assert own.json()["appOwner"] == "eve"


async def test_bad_basic_auth_is_401(km: KeyManagerClient) -> None:
    r = await km.http.post(DCR, json=_profile(), headers=basic("admin", "wrong"))
    assert r.status_code == 401
    missing = await km.http.post(DCR, json=_profile())
    assert missing.status_code == 401


async def test_unregistering_removes_the_client_and_its_tokens(km: KeyManagerClient) -> None:
    client = await km.register("short_lived")
    token = (await km.token(client, grant_type="client_credentials")).json()["access_token"]
    r = await km.http.delete(DCR, params={"consumerKey": client["clientId"]}, headers=basic("admin", "admin"))
    assert r.status_code == 200
    after = await km.token(client, grant_type="client_credentials")
    assert after.status_code == 401
    # The tenant's admin may introspect any of its tokens, so "inactive" here means revoked.
    info = await km.http.post("/oauth2/introspect", data={"token": token}, headers=basic("admin", "admin"))
    assert info.json()["active"] is False
