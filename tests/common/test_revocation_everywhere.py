"""Every control-plane service refuses what the key manager revoked or deactivated: the events of
the token-revocations topic, and on start the key manager's revocation snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from apim_admin.app import create_app as create_admin
from apim_admin.settings import Settings as AdminSettings
from apim_common.events import InProcessBus, Topic, new_event
from apim_common.events.kafka import KafkaBus
from apim_common.revocations import (
    REVOKED,
    SNAPSHOT_PATH,
    RevocationState,
    RevocationTracker,
    http_snapshot_fetcher,
)
from apim_devportal.app import create_app as create_devportal
from apim_devportal.settings import Settings as DevportalSettings
from apim_publisher.app import create_app as create_publisher
from apim_publisher.settings import Settings as PublisherSettings
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

# One read endpoint per service, and the scope that opens it.
SERVICES: dict[str, tuple[Callable[..., Any], type, str, str]] = {
    "publisher": (create_publisher, PublisherSettings, "/api/am/publisher/v4/apis", "apim:api_view"),
    "devportal": (create_devportal, DevportalSettings, "/api/am/devportal/v3/applications", "apim:subscribe"),
    "admin": (create_admin, AdminSettings, "/api/am/admin/v4/throttling/policies/application", "apim:admin"),
}


class Service:
    def __init__(self, client: httpx.AsyncClient, bus: InProcessBus, path: str, scope: str) -> None:
        self.client = client
        self.bus = bus
        self.path = path
        self.scope = scope

    async def get(self, token: str) -> httpx.Response:
        return await self.client.get(self.path, headers={"Authorization": f"Bearer {token}"})

    async def announce(
        self, kind: str, subject: str, data: dict[str, Any], tenant: str = "carbon.super"
    ) -> None:
        event = new_event("key-manager", kind, subject, data, tenant=tenant)
        await self.bus.publish(Topic.TOKEN_REVOCATIONS, event)
        await self.bus.drain()


@contextlib.asynccontextmanager
async def running(name: str, tokens: TokenFactory, tmp_path: Path) -> AsyncIterator[Service]:
    create, settings_class, path, scope = SERVICES[name]
    settings = settings_class(
        mode="development",
        database_url=f"sqlite+aiosqlite:///{tmp_path / name}.db",
        log_json=False,
    )
    bus = InProcessBus(retry_delay=0.01)
    async with running_service(create, settings, tokens, bus=bus) as (_, client):
        await bus.start()
        try:
            yield Service(client, bus, path, scope)
        finally:
            await bus.stop()


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


@pytest.mark.parametrize("name", list(SERVICES))
async def test_a_token_revoked_at_the_key_manager_is_refused(
    name: str, tokens: TokenFactory, tmp_path: Path
) -> None:
    async with running(name, tokens, tmp_path) as service:
        token = tokens.mint("admin", service.scope)
        assert (await service.get(token)).status_code == 200
        claims = _claims(token)
        await service.announce(
            "token.revoked", claims["jti"], {"jti": claims["jti"], "expiresAt": claims["exp"]}
        )
        refused = await service.get(token)
        assert refused.status_code == 401
        assert refused.json()["code"] == 900901
        assert refused.json()["description"] == REVOKED
        assert (await service.get(tokens.mint("admin", service.scope))).status_code == 200


@pytest.mark.parametrize("name", list(SERVICES))
async def test_the_tokens_of_a_deleted_user_are_refused(
    name: str, tokens: TokenFactory, tmp_path: Path
) -> None:
    async with running(name, tokens, tmp_path) as service:
        token = tokens.mint("alice", service.scope)
        other = tokens.mint("bob", service.scope)
        before = int(time.time()) + 1
        await service.announce(
            "tokens.revoked-before", "alice", {"username": "alice@carbon.super", "before": before}
        )
        assert (await service.get(token)).status_code == 401
        assert (await service.get(other)).status_code == 200


@pytest.mark.parametrize("name", list(SERVICES))
async def test_the_tokens_of_a_revoked_client_are_refused(
    name: str, tokens: TokenFactory, tmp_path: Path
) -> None:
    async with running(name, tokens, tmp_path) as service:
        token = tokens.mint("admin", service.scope, client_id="leaked")
        await service.announce(
            "tokens.revoked-before", "leaked", {"clientId": "leaked", "before": time.time() + 1}
        )
        assert (await service.get(token)).status_code == 401
        assert (await service.get(tokens.mint("admin", service.scope))).status_code == 200


@pytest.mark.parametrize("name", list(SERVICES))
async def test_an_inactive_tenants_tokens_are_refused_until_it_is_reactivated(
    name: str, tokens: TokenFactory, tmp_path: Path
) -> None:
    async with running(name, tokens, tmp_path) as service:
        token = tokens.mint("boss", service.scope, tenant="acme.com")
        await service.announce("tenant.deactivated", "acme.com", {"domain": "acme.com"}, tenant="acme.com")
        refused = await service.get(token)
        assert refused.status_code == 401
        assert refused.json()["description"] == "The tenant acme.com is inactive"
        assert (await service.get(tokens.mint("admin", service.scope))).status_code == 200
        await service.announce("tenant.activated", "acme.com", {"domain": "acme.com"}, tenant="acme.com")
        assert (await service.get(token)).status_code == 200


def test_a_token_issued_after_a_revocation_rule_is_accepted() -> None:
    state = RevocationState()
    now = int(time.time())
    state.revoke_before(None, "alice@carbon.super", now)
    assert state.refusal({"sub": "alice@carbon.super", "iat": now - 1}) == REVOKED
    assert state.refusal({"sub": "alice@carbon.super", "iat": now}) is None


async def test_a_starting_service_learns_the_current_revocations_from_the_snapshot() -> None:
    state = RevocationState()

    async def fetch() -> Mapping[str, Any]:
        return {
            "revokedTokens": [{"jti": "old", "expiresAt": time.time() + 60}],
            "rules": [{"username": "gone@carbon.super", "before": time.time() + 1}],
            "inactiveTenants": ["acme.com"],
        }

    tracker = RevocationTracker(state, fetch)
    assert await tracker.pull()
    assert state.refusal({"jti": "old"}) == REVOKED
    assert state.refusal({"sub": "gone@carbon.super", "iat": int(time.time())}) == REVOKED
    assert state.refusal({"tenant": "acme.com"}) == "The tenant acme.com is inactive"


async def test_events_arriving_during_the_snapshot_are_applied_after_it() -> None:
    state = RevocationState()
    release = asyncio.Event()

    async def slow_fetch() -> Mapping[str, Any]:
        await release.wait()
        return {"inactiveTenants": ["acme.com"]}

    tracker = RevocationTracker(state, slow_fetch)
    pulling = asyncio.create_task(tracker.pull())
    await asyncio.sleep(0)
    # The tenant was reactivated after the key manager took its snapshot.
    await tracker.handle(new_event("key-manager", "tenant.activated", "acme.com", {"domain": "acme.com"}))
    release.set()
    assert await pulling
    assert state.refusal({"tenant": "acme.com"}) is None


async def test_a_snapshot_the_key_manager_cannot_give_yet_is_retried() -> None:
    state = RevocationState()
    calls = 0

    async def flaky() -> Mapping[str, Any]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectError("key manager not up yet")
        return {"inactiveTenants": ["acme.com"]}

    tracker = RevocationTracker(state, flaky, retry_interval=0.01)
    tracker.request_snapshot()
    await asyncio.wait_for(tracker.loaded.wait(), 5)
    await tracker.stop()
    assert calls == 3
    assert state.refusal({"tenant": "acme.com"}) is not None


async def test_the_snapshot_is_asked_for_with_a_service_token() -> None:
    seen: list[httpx.Request] = []

    def key_manager(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "svc", "expires_in": 3600})
        return httpx.Response(200, json={"inactiveTenants": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(key_manager)) as http:
        snapshot = await http_snapshot_fetcher(http, "http://km/", "secret")()
    assert snapshot == {"inactiveTenants": []}
    token, get = seen
    assert token.url.path == "/oauth2/token"
    assert b"scope=apim%3Ainternal" in token.content
    assert (get.method, get.url.path, get.headers["authorization"]) == ("GET", SNAPSHOT_PATH, "Bearer svc")


def test_on_kafka_each_replica_pulls_the_snapshot_again_when_its_consumer_rejoins() -> None:
    bus = KafkaBus({"bootstrap_servers": "127.0.0.1:9"})
    tracker = RevocationTracker(RevocationState(), _unreachable)
    tracker.subscribe(bus, "publisher-revocations-1")
    [subscription] = bus._subscriptions
    assert subscription.topics == [str(Topic.TOKEN_REVOCATIONS)]
    assert subscription.on_reconnect == tracker.request_snapshot


async def _unreachable() -> Mapping[str, Any]:
    raise httpx.ConnectError("no key manager")
