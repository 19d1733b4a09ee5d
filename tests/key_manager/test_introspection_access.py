"""Who may introspect a token: its own client, the platform's services, the admins of its tenant.

Anyone else authenticates fine but reads the token as inactive (RFC 7662 section 4), learning
nothing of its user, scopes or client.
"""

from __future__ import annotations

from typing import Any

from apim_common.service_auth import INTERNAL_CLIENT_ID, internal_client_secret
from tests.key_manager.conftest import KeyManagerClient, basic

INTERNAL = "/api/am/keymanager/v1/internal"


async def _introspect(km: KeyManagerClient, token: str, username: str, password: str) -> dict[str, Any]:
    r = await km.http.post("/oauth2/introspect", data={"token": token}, headers=basic(username, password))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _admin_token(km: KeyManagerClient) -> str:
    client = await km.register("admin_tools")
    body = await km.password_token(client, "admin", "admin", "apim:admin")
    token: str = body["access_token"]
    return token


async def test_a_user_who_is_not_an_admin_reads_someone_elses_token_as_inactive(km: KeyManagerClient) -> None:
    await km.create_user("eve", "pw-eve", ["Internal/subscriber"])
    token = await _admin_token(km)

    assert await _introspect(km, token, "eve", "pw-eve") == {"active": False}


async def test_another_client_reads_the_token_as_inactive(km: KeyManagerClient) -> None:
    await km.create_user("eve", "pw-eve", ["Internal/subscriber"])
    eves = await km.register("eve_tools", owner="eve", auth=("eve", "pw-eve"))
    token = await _admin_token(km)

    assert await _introspect(km, token, eves["clientId"], eves["clientSecret"]) == {"active": False}


async def test_an_admin_of_another_tenant_reads_the_token_as_inactive(km: KeyManagerClient) -> None:
    body = {"domain": "acme.com", "adminUsername": "boss", "adminPassword": "pw-boss"}
    r = await km.http.post(f"{INTERNAL}/tenants", json=body, headers=await km.service_headers())
    assert r.status_code == 201, r.text
    token = await _admin_token(km)

    assert await _introspect(km, token, "boss@acme.com", "pw-boss") == {"active": False}


async def test_the_tokens_own_client_reads_it_active(km: KeyManagerClient) -> None:
    await km.create_user("eve", "pw-eve", ["Internal/subscriber"])
    eves = await km.register("eve_tools", owner="eve", auth=("eve", "pw-eve"))
    token = (await km.password_token(eves, "eve", "pw-eve"))["access_token"]

    info = await _introspect(km, token, eves["clientId"], eves["clientSecret"])

    assert info["active"] is True
    assert info["username"] == "eve@carbon.super"


async def test_an_admin_of_the_tokens_tenant_reads_it_active(km: KeyManagerClient) -> None:
    await km.create_user("eve", "pw-eve", ["Internal/subscriber"])
    eves = await km.register("eve_tools", owner="eve", auth=("eve", "pw-eve"))
    token = (await km.password_token(eves, "eve", "pw-eve"))["access_token"]

    assert (await _introspect(km, token, "admin", "admin"))["active"] is True


async def test_the_platforms_services_read_any_token(km: KeyManagerClient) -> None:
    token = await _admin_token(km)
    secret = internal_client_secret(km.settings.secret())

    assert (await _introspect(km, token, INTERNAL_CLIENT_ID, secret))["active"] is True
