"""/oauth2/authorize: the portals' sign-in, authorization codes with PKCE, and their redemption."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import text

from tests.key_manager.conftest import KeyManagerClient, basic

CLIENT_ID = "apim-portals"
REDIRECT = "http://127.0.0.1:9443/devportal/auth/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str | None, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "apim:subscribe openid",
        "state": "xyz",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | overrides


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


async def sign_in(
    km: KeyManagerClient, challenge: str, username: str = "admin", password: str = "admin"
) -> httpx.Response:
    page = await km.http.get("/oauth2/authorize", params=authorize_params(challenge))
    assert page.status_code == 200, page.text
    form = hidden_fields(page.text) | {"username": username, "password": password}
    return await km.http.post("/oauth2/authorize", data=form)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


async def redeem(km: KeyManagerClient, code: str, verifier: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": CLIENT_ID,
    } | overrides
    return await km.http.post("/oauth2/token", data=form)


async def introspect(km: KeyManagerClient, token: str) -> dict[str, Any]:
    r = await km.http.post("/oauth2/introspect", data={"token": token}, headers=basic("admin", "admin"))
    body: dict[str, Any] = r.json()
    return body


async def test_the_login_page_is_a_labelled_form_with_a_csrf_token(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    r = await km.http.get("/oauth2/authorize", params=authorize_params(challenge))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<label for="username">' in r.text
    assert '<label for="password">' in r.text
    assert hidden_fields(r.text)["csrf_token"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert r.headers["x-frame-options"] == "DENY"


async def test_signing_in_redirects_with_a_code_that_redeems_for_the_users_tokens(
    km: KeyManagerClient,
) -> None:
    verifier, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    r = await redeem(km, code, verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["refresh_token"]
    claims = await introspect(km, body["access_token"])
    assert claims["active"] is True
    assert claims["sub"] == "admin@carbon.super"
    assert claims["client_id"] == CLIENT_ID
    assert "apim:subscribe" in body["scope"].split()


async def test_a_code_is_single_use_and_a_replay_revokes_what_it_issued(km: KeyManagerClient) -> None:
    verifier, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    first = (await redeem(km, code, verifier)).json()
    replay = await redeem(km, code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (await introspect(km, first["access_token"]))["active"] is False
    refreshed = await km.http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": CLIENT_ID},
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_a_wrong_code_verifier_is_invalid_grant(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    r = await redeem(km, code, "x" * 50)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_a_redirect_uri_other_than_the_authorized_one_is_invalid_grant(km: KeyManagerClient) -> None:
    verifier, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    r = await redeem(km, code, verifier, redirect_uri="http://127.0.0.1:9443/publisher/auth/callback")
    assert r.json()["error"] == "invalid_grant"


async def test_an_expired_code_is_invalid_grant(km: KeyManagerClient) -> None:
    verifier, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    async with km.app.state.database.session() as session, session.begin():
        await session.execute(
            text("UPDATE authorization_codes SET expires_at = :t"), {"t": int(time.time()) - 1}
        )
    r = await redeem(km, code, verifier)
    assert r.json()["error"] == "invalid_grant"
    assert "expired" in r.json()["error_description"]


async def test_codes_are_stored_only_as_their_hash(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    code = code_of(await sign_in(km, challenge))
    async with km.app.state.database.session() as session:
        rows = (await session.execute(text("SELECT * FROM authorization_codes"))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["code_hash"] == hashlib.sha256(code.encode()).hexdigest()
    assert code not in {str(v) for v in rows[0].values()}


async def test_pkce_is_required_and_sent_back_as_an_error_to_the_client(km: KeyManagerClient) -> None:
    r = await km.http.get("/oauth2/authorize", params=authorize_params(None))
    assert r.status_code == 303
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["xyz"]


async def test_the_plain_pkce_method_is_refused(km: KeyManagerClient) -> None:
    params = authorize_params("a" * 43, code_challenge_method="plain")
    r = await km.http.get("/oauth2/authorize", params=params)
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["invalid_request"]


async def test_an_unregistered_redirect_uri_is_shown_to_the_user_never_followed(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    params = authorize_params(challenge, redirect_uri="https://evil.example/callback")
    r = await km.http.get("/oauth2/authorize", params=params)
    assert r.status_code == 400
    assert "location" not in r.headers
    assert "redirect_uri is not registered" in r.text


async def test_a_client_that_is_not_first_party_cannot_use_the_sign_in_page(km: KeyManagerClient) -> None:
    client = await km.register("third_party")
    _, challenge = pkce()
    r = await km.http.get(
        "/oauth2/authorize", params=authorize_params(challenge, client_id=client["clientId"])
    )
    assert r.status_code == 400
    assert "location" not in r.headers


async def test_a_form_without_the_csrf_cookie_is_refused(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    page = await km.http.get("/oauth2/authorize", params=authorize_params(challenge))
    form = hidden_fields(page.text) | {"username": "admin", "password": "admin"}
    km.http.cookies.clear()
    r = await km.http.post("/oauth2/authorize", data=form)
    assert r.status_code == 403
    assert "location" not in r.headers


async def test_a_wrong_password_shows_the_form_again_with_an_error(km: KeyManagerClient) -> None:
    _, challenge = pkce()
    r = await sign_in(km, challenge, password="wrong")
    assert r.status_code == 401
    assert "Wrong username or password" in r.text
    assert 'value="admin"' in r.text


async def test_the_portal_client_revokes_its_token_with_its_id_alone(km: KeyManagerClient) -> None:
    verifier, challenge = pkce()
    tokens = (await redeem(km, code_of(await sign_in(km, challenge)), verifier)).json()
    r = await km.http.post("/oauth2/revoke", data={"token": tokens["access_token"], "client_id": CLIENT_ID})
    assert r.status_code == 200
    assert (await introspect(km, tokens["access_token"]))["active"] is False


async def test_the_portal_client_has_no_secret_and_no_client_credentials_grant(km: KeyManagerClient) -> None:
    r = await km.http.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_first_party_clients_come_from_settings(tmp_path: Any) -> None:
    from asgi_lifespan import LifespanManager

    from apim_key_manager.app import create_app
    from tests.key_manager.conftest import key_manager_settings

    settings = key_manager_settings(tmp_path, first_party_clients={"my-portal": ["https://p.example/cb"]})
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            _, challenge = pkce()
            params = authorize_params(challenge, client_id="my-portal", redirect_uri="https://p.example/cb")
            assert (await http.get("/oauth2/authorize", params=params)).status_code == 200
            default = await http.get("/oauth2/authorize", params=authorize_params(challenge))
            assert default.status_code == 400
