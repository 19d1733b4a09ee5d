"""The anonymous marketplace assistant answers each caller a limited number of questions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from apim_devportal.app import create_app
from apim_devportal.assistant.limits import CallerRateLimiter
from apim_devportal.settings import Settings
from tests.devportal_api.conftest import BASE
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

CHAT = f"{BASE}/marketplace-assistant/chat"
LIMIT = 3


@pytest.fixture
async def devportal(sqlite_url: str, tokens: TokenFactory) -> AsyncIterator[Any]:
    settings = Settings(
        mode="development",
        database_url=sqlite_url,
        key_manager_url="http://key-manager",
        log_json=False,
        assistant_embeddings=False,
        assistant_rate_limit=LIMIT,
        assistant_rate_window_seconds=3600,
    )
    async with running_service(create_app, settings, tokens) as (app, _):
        yield app


def from_address(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def ask(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(CHAT, json={"query": "which API sends text messages?", "history": []})


async def test_an_anonymous_flood_of_questions_is_refused_with_429_and_retry_after(
    devportal: Any,
) -> None:
    async with from_address(devportal, "203.0.113.50") as attacker:
        statuses = [(await ask(attacker)).status_code for _ in range(LIMIT + 5)]
        refused = await ask(attacker)
    assert statuses[:LIMIT] == [201] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.json()
    assert body["code"] == 429
    assert "marketplace assistant" in body["description"]


async def test_one_address_out_of_questions_leaves_the_others_their_own(devportal: Any) -> None:
    async with from_address(devportal, "203.0.113.51") as attacker:
        for _ in range(LIMIT + 1):
            await ask(attacker)
    async with from_address(devportal, "198.51.100.9") as someone_else:
        assert (await ask(someone_else)).status_code == 201


def test_the_bucket_refills_over_the_window() -> None:
    now = [0.0]
    limiter = CallerRateLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(5.0)
    now[0] = 5.0
    assert limiter.acquire("a") == 0.0


def test_the_limiter_keeps_a_bounded_number_of_callers() -> None:
    limiter = CallerRateLimiter(1, 60.0, max_callers=50)
    for n in range(500):
        limiter.acquire(f"address:{n}")
    assert len(limiter._buckets) == 50
