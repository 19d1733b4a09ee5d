"""The jwt-bearer grant and API keys: none of our own tokens is upgraded into a stronger one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.key_manager.conftest import KeyManagerClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


async def _exchange(
    km: KeyManagerClient, client: dict[str, Any], assertion: str, scope: str
) -> httpx.Response:
    return await km.token(client, grant_type=JWT_BEARER, assertion=assertion, scope=scope)


async def test_the_admins_api_key_is_not_an_assertion(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await _exchange(km, client, await km.api_key(), "apim:admin")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"
    assert "access_token" not in r.json()


async def test_an_openid_only_token_is_not_upgraded_to_the_users_role_scopes(km: KeyManagerClient) -> None:
    client = await km.register()
    weak = await km.password_token(client, "admin", "admin", "openid")
    assert weak["scope"] == "openid"
    r = await _exchange(km, client, weak["access_token"], "apim:admin")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_an_assertion_without_a_scope_asked_gets_no_more_than_it_holds(km: KeyManagerClient) -> None:
    client = await km.register()
    weak = await km.password_token(client, "admin", "admin", "openid")
    r = await km.token(client, grant_type=JWT_BEARER, assertion=weak["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "openid"


async def test_a_token_of_another_client_is_not_an_assertion(km: KeyManagerClient) -> None:
    theirs, mine = await km.register("theirs"), await km.register("mine")
    token = await km.password_token(theirs, "admin", "admin", "apim:api_view")
    r = await _exchange(km, mine, token["access_token"], "apim:api_view")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_an_own_assertion_reissues_a_narrower_scope_to_its_client(km: KeyManagerClient) -> None:
    client = await km.register()
    token = await km.password_token(client, "admin", "admin", "apim:api_view apim:api_create")
    r = await _exchange(km, client, token["access_token"], "apim:api_view")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "apim:api_view"
