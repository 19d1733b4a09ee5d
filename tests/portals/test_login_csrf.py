"""Login CSRF: a sign-in finishes only in the browser that started it."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from apim_portals.app import create_app
from apim_portals.auth import SIGN_IN_COOKIE
from apim_portals.sessions import COOKIE, PendingSignIn, SessionStore, Tokens
from apim_portals.settings import Settings


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.fixture
async def portals() -> AsyncIterator[FastAPI]:
    app = create_app(Settings(mode="development", log_json=False, max_pending_sign_ins=10))
    async with LifespanManager(app):
        redeemed: list[str] = []

        async def redeem(code: str, verifier: str, redirect_uri: str) -> Tokens:
            # The key manager's answer for the code: the user who signed in to get it.
            redeemed.append(code)
            access = _jwt({"sub": "mallory@carbon.super", "tenant": "carbon.super"})
            return Tokens(access, None, time.monotonic() + 3600, frozenset())

        app.state.platform.redeem = redeem
        app.state.redeemed = redeemed
        yield app


def browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9443")


async def start_sign_in(client: httpx.AsyncClient) -> str:
    r = await client.get("/devportal/auth/login")
    assert r.status_code == 303
    return parse_qs(urlsplit(r.headers["location"]).query)["state"][0]


async def test_a_victim_opening_the_attackers_callback_link_is_not_signed_in(portals: FastAPI) -> None:
    async with browser(portals) as attacker, browser(portals) as victim:
        state = await start_sign_in(attacker)
        # The attacker signs in at the key manager, stops before the callback, and sends the link.
        r = await victim.get("/devportal/auth/callback", params={"code": "attackers-code", "state": state})
    assert r.status_code == 400
    assert COOKIE not in r.headers.get("set-cookie", "")
    assert "not started in this browser" in r.text
    assert portals.state.redeemed == []


async def test_the_browser_that_started_the_sign_in_finishes_it(portals: FastAPI) -> None:
    async with browser(portals) as user:
        state = await start_sign_in(user)
        r = await user.get("/devportal/auth/callback", params={"code": "code", "state": state})
    assert r.status_code == 303, r.text
    assert COOKIE in r.headers["set-cookie"]


async def test_the_binding_cookie_is_httponly_lax_and_scoped_to_the_portals_auth_path(
    portals: FastAPI,
) -> None:
    async with browser(portals) as user:
        r = await user.get("/devportal/auth/login")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{SIGN_IN_COOKIE}="))
    attributes = cookie.lower()
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/devportal/auth" in attributes
    assert "max-age=600" in attributes


async def test_another_browsers_binding_cookie_does_not_finish_the_sign_in(portals: FastAPI) -> None:
    async with browser(portals) as attacker, browser(portals) as victim:
        state = await start_sign_in(attacker)
        await start_sign_in(victim)  # the victim has a binding cookie of their own
        r = await victim.get("/devportal/auth/callback", params={"code": "attackers-code", "state": state})
    assert r.status_code == 400
    assert portals.state.redeemed == []


def test_pending_sign_ins_are_capped_and_the_oldest_is_evicted() -> None:
    store = SessionStore(ttl=3600, max_sessions=10, max_pending=3)
    for n in range(5):
        store.start_sign_in(f"s{n}", PendingSignIn("v", "devportal", "/devportal/", "h"))
    assert store.pending_sign_ins() == 3
    assert store._pending.keys() == {"s2", "s3", "s4"}


async def test_a_flood_of_started_sign_ins_keeps_the_cap(portals: FastAPI) -> None:
    async with browser(portals) as anonymous:
        for _ in range(50):
            await anonymous.get("/devportal/auth/login")
    assert portals.state.sessions.pending_sign_ins() == 10
