"""Run one service's app in-process for a test: SQLite in a temp dir, tokens from a TokenFactory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from apim_common.events.bus import InProcessBus
from apim_common.jwt import JWKSVerifier
from tests.support.tokens import TEST_ISSUER, TokenFactory


def static_verifier(tokens: TokenFactory) -> JWKSVerifier:
    async def fetch() -> dict[str, Any]:
        return tokens.jwks()

    return JWKSVerifier(fetch, issuer=TEST_ISSUER)


@contextlib.asynccontextmanager
async def running_service(
    create_app: Callable[..., Any],
    settings: Any,
    tokens: TokenFactory,
    *,
    bus: InProcessBus | None = None,
    base_url: str = "http://testserver",
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Start the app's lifespan, trust ``tokens``, and yield the app and a client bound to it.

    Pass ``bus`` to watch the service's events; the caller starts and stops it then.
    """
    app = create_app(settings, bus=bus) if bus is not None else create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        app.state.token_verifier = static_verifier(tokens)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield app, client
