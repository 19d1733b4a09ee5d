"""Guessing passwords: every place the key manager checks one counts failures per user name and per
client address, and refuses a locked name or address with 429 and ``Retry-After``."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from apim_common.events.bus import InProcessBus
from apim_key_manager.app import create_app
from apim_key_manager.users.lockout import (
    LockoutPolicy,
    MemoryFailureStore,
    RedisFailureStore,
    SignInGuard,
    SignInLocked,
)
from tests.conftest import infra_value
from tests.key_manager.conftest import DCR, KeyManagerClient, basic, key_manager_settings
from tests.key_manager.test_authorize import authorize_params, hidden_fields, pkce

GUESSES = 40
# Small thresholds and a lock long enough to outlast the test.
LOCKOUT = {
    "sign_in_max_failures": 3,
    "sign_in_max_failures_per_address": 10,
    "sign_in_lockout_base_seconds": 60.0,
}


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[KeyManagerClient]:
    settings = key_manager_settings(tmp_path, **LOCKOUT)
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        await bus.start()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield KeyManagerClient(app, http, settings, bus)
        await bus.stop()


def from_address(km: KeyManagerClient, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=km.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def password_grant(
    http: httpx.AsyncClient, client: dict[str, Any], username: str, password: str
) -> httpx.Response:
    return await http.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=basic(client["clientId"], client["clientSecret"]),
    )


def assert_locked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1


async def test_forty_wrong_passwords_then_the_right_one_is_refused_on_the_password_grant(
    guarded: KeyManagerClient,
) -> None:
    client = await guarded.register()
    await guarded.create_user("victim", "pw-victim-1", [])
    statuses = [
        (await password_grant(guarded.http, client, "victim", f"guess-{i}")).status_code
        for i in range(GUESSES)
    ]
    assert statuses[:3] == [400, 400, 400]
    assert set(statuses[3:]) == {429}
    right = await password_grant(guarded.http, client, "victim", "pw-victim-1")
    assert_locked(right)
    assert right.json()["error"] == "access_denied"
    assert "Too many failed sign-in attempts" in right.json()["error_description"]


async def test_the_sign_in_form_refuses_the_right_password_of_a_locked_user(
    guarded: KeyManagerClient,
) -> None:
    await guarded.create_user("formuser", "pw-form-1", [])
    _, challenge = pkce()
    for i in range(GUESSES):
        page = await guarded.http.get("/oauth2/authorize", params=authorize_params(challenge))
        form = hidden_fields(page.text) | {"username": "formuser", "password": f"guess-{i}"}
        await guarded.http.post("/oauth2/authorize", data=form)
    page = await guarded.http.get("/oauth2/authorize", params=authorize_params(challenge))
    form = hidden_fields(page.text) | {"username": "formuser", "password": "pw-form-1"}
    right = await guarded.http.post("/oauth2/authorize", data=form)
    assert_locked(right)
    assert "location" not in right.headers
    assert "Too many failed sign-in attempts" in right.text


async def test_introspection_refuses_the_right_basic_credentials_of_a_locked_user(
    guarded: KeyManagerClient,
) -> None:
    await guarded.create_user("introuser", "pw-intro-1", [])
    for i in range(GUESSES):
        await guarded.http.post(
            "/oauth2/introspect", data={"token": "x"}, headers=basic("introuser", f"guess-{i}")
        )
    right = await guarded.http.post(
        "/oauth2/introspect", data={"token": "x"}, headers=basic("introuser", "pw-intro-1")
    )
    assert_locked(right)


async def test_scim_refuses_the_right_basic_credentials_of_a_locked_admin(guarded: KeyManagerClient) -> None:
    for i in range(GUESSES):
        await guarded.http.get("/scim2/Users", headers=basic("admin", f"guess-{i}"))
    right = await guarded.http.get("/scim2/Users", headers=basic("admin", "admin"))
    assert_locked(right)
    assert right.json()["status"] == "429"


async def test_dcr_refuses_the_right_basic_credentials_of_a_locked_admin(guarded: KeyManagerClient) -> None:
    body = {"clientName": "app", "owner": "admin", "grantType": "client_credentials"}
    for i in range(GUESSES):
        await guarded.http.post(DCR, json=body, headers=basic("admin", f"guess-{i}"))
    right = await guarded.http.post(DCR, json=body, headers=basic("admin", "admin"))
    assert_locked(right)
    assert right.json()["code"] == 429


async def test_one_address_guessing_across_many_names_is_locked(guarded: KeyManagerClient) -> None:
    client = await guarded.register()
    await guarded.create_user("sprayed", "pw-sprayed-1", [])
    async with from_address(guarded, "203.0.113.7") as attacker:
        for i in range(10):
            r = await password_grant(attacker, client, f"user{i}", "Password1")
            assert r.status_code == 400
        assert_locked(await password_grant(attacker, client, "sprayed", "pw-sprayed-1"))
    async with from_address(guarded, "198.51.100.2") as someone_else:
        assert (await password_grant(someone_else, client, "sprayed", "pw-sprayed-1")).status_code == 200


async def test_a_success_clears_the_failures_of_the_user(guarded: KeyManagerClient) -> None:
    client = await guarded.register()
    await guarded.create_user("forgetful", "pw-forget-1", [])
    for _ in range(2):
        await password_grant(guarded.http, client, "forgetful", "wrong")
    assert (await password_grant(guarded.http, client, "forgetful", "pw-forget-1")).status_code == 200
    for _ in range(2):
        assert (await password_grant(guarded.http, client, "forgetful", "wrong")).status_code == 400
    assert (await password_grant(guarded.http, client, "forgetful", "pw-forget-1")).status_code == 200


async def test_failed_and_refused_sign_ins_are_logged(
    guarded: KeyManagerClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await guarded.register()
    with caplog.at_level(logging.INFO, logger="apim.key_manager.sign_in"):
        for _ in range(4):
            await password_grant(guarded.http, client, "admin", "wrong")
    messages = [r.getMessage() for r in caplog.records if r.name == "apim.key_manager.sign_in"]
    assert any("failed sign-in: user=admin@carbon.super" in m for m in messages)
    assert any("locked for" in m for m in messages)
    assert any("refused while locked" in m for m in messages)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_lock_doubles_with_each_further_failure_up_to_the_cap() -> None:
    policy = LockoutPolicy(max_failures=2, base=1.0, cap=8.0, window=3600.0)
    store = MemoryFailureStore(policy, FakeClock())
    locks = [await store.failed("user:x", 2) for _ in range(7)]
    assert locks == [0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_a_lock_ends_and_the_count_is_forgotten_after_the_window() -> None:
    clock = FakeClock()
    policy = LockoutPolicy(max_failures=2, base=10.0, cap=60.0, window=100.0)
    store = MemoryFailureStore(policy, clock)
    await store.failed("user:x", 2)
    await store.failed("user:x", 2)
    assert await store.locked_for(["user:x"]) == 10.0
    clock.now += 10
    assert await store.locked_for(["user:x"]) <= 0.0
    clock.now += 100
    assert await store.failed("user:x", 2) == 0.0


async def test_the_memory_store_keeps_a_bounded_number_of_keys() -> None:
    store = MemoryFailureStore(LockoutPolicy(), FakeClock(), max_tracked=100)
    for i in range(1000):
        await store.failed(f"user:{i}", 5)
    assert len(store._entries) == 100


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(infra_value("APIM_TEST_REDIS_URL"))
    try:
        yield client
    finally:
        await client.aclose()


async def test_two_replicas_share_the_failures_counted_in_redis(redis: Redis) -> None:
    policy = LockoutPolicy(max_failures=3, base=30.0)
    prefix = f"test:{secrets.token_hex(6)}:"
    replicas = [SignInGuard(RedisFailureStore(redis, policy, prefix), policy) for _ in range(2)]
    try:
        for i in range(3):
            await replicas[i % 2].failed("carol@carbon.super", "192.0.2.9")
        with pytest.raises(SignInLocked) as locked:
            await replicas[1].check("carol@carbon.super", None)
        assert 1 <= locked.value.retry_after <= 30
        await replicas[0].succeeded("carol@carbon.super")
        await replicas[1].check("carol@carbon.super", None)
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)


async def test_the_redis_counters_expire_with_the_window(redis: Redis) -> None:
    policy = LockoutPolicy(max_failures=1, base=5.0, window=30.0)
    prefix = f"test:{secrets.token_hex(6)}:"
    store = RedisFailureStore(redis, policy, prefix)
    try:
        assert await store.failed("user:dave", 1) == 5.0
        assert 0 < await redis.pttl(f"{prefix}lock:user:dave") <= 5000
        assert 25_000 < await redis.pttl(f"{prefix}count:user:dave") <= 30_000
    finally:
        await redis.delete(f"{prefix}lock:user:dave", f"{prefix}count:user:dave")


async def test_an_unreachable_redis_still_locks_in_memory() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    policy = LockoutPolicy(max_failures=2, base=30.0)
    guard = SignInGuard(RedisFailureStore(unreachable, policy), policy)
    try:
        await guard.failed("erin@carbon.super", None)
        await guard.failed("erin@carbon.super", None)
        with pytest.raises(SignInLocked):
            await guard.check("erin@carbon.super", None)
    finally:
        await unreachable.aclose()


async def test_a_gateways_caller_guessing_across_many_names_is_locked_by_its_address(
    guarded: KeyManagerClient,
) -> None:
    await guarded.create_user("sprayed", "pw-sprayed-1", [])
    headers = await guarded.service_headers()

    async def check(username: str, password: str, address: str) -> httpx.Response:
        return await guarded.http.post(
            "/api/am/keymanager/v1/internal/basic-auth",
            json={"username": username, "password": password, "clientAddress": address},
            headers=headers,
        )

    for i in range(10):
        assert (await check(f"user{i}", "Password1", "203.0.113.7")).json() == {
            "valid": False,
            "username": None,
            "tenant": None,
            "subject": None,
            "roles": [],
            "scopes": [],
        }
    assert_locked(await check("sprayed", "pw-sprayed-1", "203.0.113.7"))
    assert (await check("sprayed", "pw-sprayed-1", "198.51.100.2")).json()["valid"] is True


async def test_a_client_address_that_is_not_an_ip_address_is_a_400(guarded: KeyManagerClient) -> None:
    r = await guarded.http.post(
        "/api/am/keymanager/v1/internal/basic-auth",
        json={"username": "anyone", "password": "x", "clientAddress": "not an address"},
        headers=await guarded.service_headers(),
    )
    assert r.status_code == 400
