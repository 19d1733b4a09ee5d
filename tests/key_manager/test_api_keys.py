"""API keys: the gateway's credential alone, never a bearer token of the control plane."""

from __future__ import annotations

import jwt

from tests.key_manager.conftest import KeyManagerClient


async def test_an_api_key_does_not_authenticate_to_the_control_plane(km: KeyManagerClient) -> None:
    r = await km.http.get("/scim2/Users", headers={"Authorization": f"Bearer {await km.api_key()}"})
    assert r.status_code == 401


async def test_api_keys_are_signed_with_a_key_no_grant_trusts(km: KeyManagerClient) -> None:
    ring = km.app.state.key_manager.keys.ring
    kid = jwt.get_unverified_header(await km.api_key())["kid"]
    assert kid in ring.public_keys
    assert kid not in ring.access_keys
