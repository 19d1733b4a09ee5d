"""A used refresh token presented again revokes the whole family its first use started."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.key_manager.conftest import KeyManagerClient, basic
from tests.key_manager.test_authorize import CLIENT_ID, code_of, introspect, pkce, redeem, sign_in


async def _active(km: KeyManagerClient, client: dict[str, Any], token: str) -> bool:
    r = await km.http.post(
        "/oauth2/introspect", data={"token": token}, headers=basic(client["clientId"], client["clientSecret"])
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["active"])


async def _refresh(km: KeyManagerClient, client: dict[str, Any], refresh_token: str) -> Any:
    return await km.token(client, grant_type="refresh_token", refresh_token=refresh_token)


async def test_a_replayed_refresh_token_revokes_the_tokens_its_first_use_minted(km: KeyManagerClient) -> None:
    client = await km.register()
    stolen = (await km.password_token(client, "admin", "admin"))["refresh_token"]
    first = await _refresh(km, client, stolen)
    assert first.status_code == 200, first.text
    minted = first.json()
    assert await _active(km, client, minted["access_token"])

    replay = await _refresh(km, client, stolen)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not await _active(km, client, minted["access_token"])
    assert not await _active(km, client, minted["refresh_token"])
    after = await _refresh(km, client, minted["refresh_token"])
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


async def test_a_replay_revokes_every_later_generation_of_the_family(km: KeyManagerClient) -> None:
    client = await km.register()
    stolen = (await km.password_token(client, "admin", "admin"))["refresh_token"]
    second = (await _refresh(km, client, stolen)).json()
    third = (await _refresh(km, client, second["refresh_token"])).json()
    fourth = (await _refresh(km, client, third["refresh_token"])).json()
    assert await _active(km, client, fourth["access_token"])

    assert (await _refresh(km, client, stolen)).status_code == 400

    for generation in (second, third, fourth):
        assert not await _active(km, client, generation["access_token"])
    assert (await _refresh(km, client, fourth["refresh_token"])).status_code == 400


async def test_two_uses_at_once_are_a_replay_and_the_winners_tokens_are_revoked(km: KeyManagerClient) -> None:
    client = await km.register()
    stolen = (await km.password_token(client, "admin", "admin"))["refresh_token"]

    answers = await asyncio.gather(*(_refresh(km, client, stolen) for _ in range(3)))

    assert sorted(r.status_code for r in answers) == [200, 400, 400]
    assert all(r.json()["error"] == "invalid_grant" for r in answers if r.status_code == 400)
    (winner,) = (r.json() for r in answers if r.status_code == 200)
    assert not await _active(km, client, winner["access_token"])
    assert (await _refresh(km, client, winner["refresh_token"])).status_code == 400


async def test_a_replay_leaves_other_families_of_the_same_user_alone(km: KeyManagerClient) -> None:
    client = await km.register()
    stolen = (await km.password_token(client, "admin", "admin"))["refresh_token"]
    other = await km.password_token(client, "admin", "admin")
    await _refresh(km, client, stolen)

    assert (await _refresh(km, client, stolen)).status_code == 400

    assert await _active(km, client, other["access_token"])
    assert (await _refresh(km, client, other["refresh_token"])).status_code == 200


async def test_a_replayed_code_revokes_the_tokens_refreshed_from_it(km: KeyManagerClient) -> None:
    verifier, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    first = (await redeem(km, code, verifier)).json()
    refreshed = await km.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": CLIENT_ID},
    )
    assert refreshed.status_code == 200, refreshed.text
    later = refreshed.json()
    assert (await introspect(km, later["access_token"]))["active"] is True

    assert (await redeem(km, code, verifier)).status_code == 400

    assert (await introspect(km, later["access_token"]))["active"] is False
    again = await km.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": later["refresh_token"], "client_id": CLIENT_ID},
    )
    assert again.json()["error"] == "invalid_grant"
