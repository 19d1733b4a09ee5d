"""The portals refresh a session's tokens once, however many of its requests find them expiring."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs

import httpx

from apim_portals.client import Platform
from apim_portals.sessions import Session, Tokens
from apim_portals.settings import Settings


async def test_concurrent_requests_of_one_session_use_its_refresh_token_once() -> None:
    refreshes: list[str] = []
    seen_tokens: list[str] = []

    async def key_manager_and_devportal(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            form = parse_qs(request.content.decode())
            refreshes.append(form["refresh_token"][0])
            await asyncio.sleep(0.05)  # the key manager takes a moment; the other requests wait meanwhile
            n = len(refreshes)
            return httpx.Response(
                200, json={"access_token": f"access-{n}", "refresh_token": f"refresh-{n}", "expires_in": 3600}
            )
        seen_tokens.append(request.headers["authorization"])
        return httpx.Response(200, json={"list": []})

    settings = Settings(mode="development")
    async with httpx.AsyncClient(transport=httpx.MockTransport(key_manager_and_devportal)) as http:
        platform = Platform(http, settings)
        session = Session(
            id_hash="x",
            csrf="y",
            tokens=Tokens("access-0", "refresh-0", expires_at=time.time() + 5, scopes=frozenset()),
        )
        await asyncio.gather(*(platform.devportal("GET", "/apis", session) for _ in range(5)))

    assert refreshes == ["refresh-0"]
    assert seen_tokens == ["Bearer access-1"] * 5
    assert session.tokens is not None
    assert session.tokens.refresh_token == "refresh-1"
