"""Bad input at /oauth2/token answers RFC 6749 errors, never 500."""

from __future__ import annotations

import time

from tests.key_manager.conftest import KeyManagerClient, basic


async def test_a_wrong_secret_is_401_invalid_client(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.token({**client, "clientSecret": "wrong"}, grant_type="client_credentials")
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].startswith("Basic")


async def test_an_unknown_client_is_401_invalid_client(km: KeyManagerClient) -> None:
    r = await km.http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers=basic("nope", "x")
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_form_client_credentials_are_accepted(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["clientId"],
            "client_secret": client["clientSecret"],
        },
    )
    assert r.status_code == 200
    assert r.json()["token_type"] == "Bearer"


async def test_an_unknown_grant_is_400_unsupported_grant_type(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.token(client, grant_type="magic")
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


async def test_a_grant_the_client_was_not_given_is_unauthorized_client(km: KeyManagerClient) -> None:
    client = await km.register("cc_only", grants="client_credentials")
    r = await km.token(client, grant_type="password", username="admin", password="admin")
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"


async def test_a_wrong_user_password_is_400_invalid_grant(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.token(client, grant_type="password", username="admin", password="nope")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_an_expired_refresh_token_is_400_invalid_grant(km: KeyManagerClient) -> None:
    client = await km.register()
    ring = km.app.state.key_manager.keys.ring
    now = int(time.time())
    expired = ring.refresh.sign(
        {
            "typ": "refresh",
            "sub": "admin@carbon.super",
            "azp": client["clientId"],
            "tenant": "carbon.super",
            "scope": "default",
            "iat": now - 200,
            "exp": now - 100,
            "jti": "expired-refresh",
        }
    )
    r = await km.token(client, grant_type="refresh_token", refresh_token=expired)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "The refresh token has expired"}


async def test_a_forged_refresh_token_is_400_invalid_grant(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.token(client, grant_type="refresh_token", refresh_token="a.b.c")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_a_json_body_is_400_invalid_request(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.http.post(
        "/oauth2/token",
        json={"grant_type": "client_credentials"},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


async def test_a_malformed_form_body_is_400(km: KeyManagerClient) -> None:
    client = await km.register()
    headers = {
        **basic(client["clientId"], client["clientSecret"]),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    for body in (b"\xff\xfe\x00", b"grant_type", b"grant_type=a&grant_type=b", b""):
        r = await km.http.post("/oauth2/token", content=body, headers=headers)
        assert r.status_code == 400, body
        assert r.json()["error"] == "invalid_request"


async def test_malformed_basic_credentials_are_401_invalid_client(km: KeyManagerClient) -> None:
    r = await km.http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!"}
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_a_malformed_dcr_body_is_400_in_the_wso2_shape(km: KeyManagerClient) -> None:
    r = await km.http.post(
        "/client-registration/v0.17/register",
        content=b"{not json",
        headers={**basic("admin", "admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == 400
