"""API keys: the gateway's credential alone, never a bearer token of the control plane."""

from __future__ import annotations

import jwt

from tests.key_manager.conftest import KeyManagerClient

INTERNAL = "/api/am/keymanager/v1/internal"


async def _api_key(km: KeyManagerClient, username: str = "admin") -> str:
    body = {
        "username": username,
        "keyType": "PRODUCTION",
        "application": {"uuid": "app-1", "name": "PizzaApp", "owner": username},
        "validityPeriod": 3600,
    }
    r = await km.http.post(f"{INTERNAL}/api-keys", json=body, headers=await km.service_headers())
    assert r.status_code == 200, r.text
    key: str = r.json()["apikey"]
    return key


async def test_an_api_key_does_not_authenticate_to_the_control_plane(km: KeyManagerClient) -> None:
    r = await km.http.get("/scim2/Users", headers={"Authorization": f"Bearer {await _api_key(km)}"})
    assert r.status_code == 401


async def test_api_keys_are_signed_with_a_key_no_grant_trusts(km: KeyManagerClient) -> None:
    ring = km.app.state.key_manager.keys.ring
    kid = jwt.get_unverified_header(await _api_key(km))["kid"]
    assert kid in ring.public_keys
    assert kid not in ring.access_keys
