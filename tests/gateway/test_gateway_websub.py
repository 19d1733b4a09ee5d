"""WebSub APIs end to end over real sockets: two gateways (uvicorn) share one in-process bus with
a real Developer Portal, and callback servers started here answer the hub's intent checks and
record its deliveries.

The gateways reach the callbacks through the outbound guard, with 127.0.0.1 on its allow-list.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import pytest_asyncio

from apim_common import crypto_policy
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_common.events.webhooks import CREATED, DELETED
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox
from apim_gateway.app import Gateway
from apim_gateway.websub.sync import SNAPSHOT_PATH
from tests.devportal_api.conftest import BASE, Portal, running_portal
from tests.gateway.conftest import CP, RESIDENT, TENANT, FakeControlPlane, base_snapshot, gateway_settings
from tests.support.serving import serving
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOOKS = "api-hooks"
PROVIDER_SECRET = "provider-secret"
EVENTS = "/hooks/1.0.0/webhooks_events_receiver_resource"


def hooks_api(sealed_secret: str) -> dict[str, Any]:
    return {
        "id": HOOKS,
        "name": "Hooks",
        "context": "/hooks",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "WEBSUB",
        "tenant": TENANT,
        "revisionId": "rev-hooks-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "authorizationHeader": "Authorization",
        "policies": ["AsyncWHGold", "TwoHooks", "TwoEvents"],
        "websubSubscriptionConfiguration": {
            "enable": True,
            "secret": sealed_secret,
            "signingAlgorithm": "SHA1",
            "signatureHeader": "X-Hub-Signature",
        },
        "operations": [
            {"verb": "SUBSCRIBE", "target": f"/{topic}", "authType": "Any"}
            for topic in (
                "issues",
                "pulls",
                "wrong",
                "signed",
                "flaky",
                "capped",
                "leaving",
                "shared",
                "seen",
                "counted",
            )
        ],
    }


def hooks_snapshot(app_id: str, sealed_secret: str) -> dict[str, dict[str, Any]]:
    """``app_id`` (alice's, made in the Developer Portal) holds AsyncWHGold; app-2 TwoHooks."""
    snapshot = base_snapshot(9)
    snapshot["publisher"]["artifacts"].append(hooks_api(sealed_secret))
    devportal = snapshot["devportal"]
    devportal["applications"] = [
        {"applicationId": app_id, "name": "Mine", "owner": "alice", "throttlingPolicy": "Unlimited"},
        {"applicationId": "app-2", "name": "Two", "owner": "bob", "throttlingPolicy": "Unlimited"},
    ]
    devportal["keyMappings"] = [
        {"applicationId": app_id, "keyType": "PRODUCTION", "keyManager": RESIDENT, "consumerKey": "client-1"},
        {
            "applicationId": "app-2",
            "keyType": "PRODUCTION",
            "keyManager": RESIDENT,
            "consumerKey": "client-2",
        },
    ]
    devportal["subscriptions"] = [
        {
            "subscriptionId": "sub-h1",
            "applicationId": app_id,
            "apiId": HOOKS,
            "throttlingPolicy": "AsyncWHGold",
        },
        {
            "subscriptionId": "sub-h2",
            "applicationId": "app-2",
            "apiId": HOOKS,
            "throttlingPolicy": "TwoHooks",
        },
    ]
    month = {
        "type": "EVENTCOUNTLIMIT",
        "eventCount": {"timeUnit": "month", "unitTime": 1, "eventCount": 10_000},
    }
    snapshot["admin"]["throttlePolicies"]["subscription"] += [
        {"policyName": "AsyncWHGold", "defaultLimit": month, "subscriberCount": 1000, "tenant": TENANT},
        {"policyName": "TwoHooks", "defaultLimit": month, "subscriberCount": 2, "tenant": TENANT},
    ]
    # app-3 holds TwoEvents: two events a month.
    two_events = {
        "type": "EVENTCOUNTLIMIT",
        "eventCount": {"timeUnit": "month", "unitTime": 1, "eventCount": 2},
    }
    snapshot["admin"]["throttlePolicies"]["subscription"].append(
        {"policyName": "TwoEvents", "defaultLimit": two_events, "tenant": TENANT}
    )
    devportal["applications"].append(
        {"applicationId": "app-3", "name": "Three", "owner": "carol", "throttlingPolicy": "Unlimited"}
    )
    devportal["keyMappings"].append(
        {"applicationId": "app-3", "keyType": "PRODUCTION", "keyManager": RESIDENT, "consumerKey": "client-3"}
    )
    devportal["subscriptions"].append(
        {
            "subscriptionId": "sub-h3",
            "applicationId": "app-3",
            "apiId": HOOKS,
            "throttlingPolicy": "TwoEvents",
        }
    )
    return snapshot


@dataclass
class Callbacks:
    """Callback URLs by name: ``wrong*`` echoes another challenge, ``flaky*`` fails its first two
    deliveries; every intent check and delivery is recorded."""

    checks: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    deliveries: dict[str, list[tuple[bytes, dict[str, str]]]] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    port: int = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        name = scope["path"].strip("/")
        status, body = 200, b""
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope["query_string"].decode()))
            self.checks.setdefault(name, []).append(params)
            body = b"not-the-challenge" if name.startswith("wrong") else params["hub.challenge"].encode()
        else:
            data = b""
            while True:
                message = await receive()
                data += message.get("body", b"")
                if not message.get("more_body"):
                    break
            if name.startswith("flaky") and self.refused.get(name, 0) < 2:
                self.refused[name] = self.refused.get(name, 0) + 1
                status = 500
            else:
                headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
                self.deliveries.setdefault(name, []).append((data, headers))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})


class ControlPlane(FakeControlPlane):
    """Answers the gateways' WebSub snapshot from the real Developer Portal."""

    portal: Portal

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] != SNAPSHOT_PATH:
            await super().__call__(scope, receive, send)
            return
        service = self.tokens.headers("apim-internal-services", "apim:internal")
        answer = await self.portal.client.get(SNAPSHOT_PATH, headers=service)
        await send({"type": "http.response.start", "status": answer.status_code, "headers": []})
        await send({"type": "http.response.body", "body": answer.content})


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def running_gateway(
    tmp: Path, name: str, control_plane: ControlPlane, portal: Portal
) -> AsyncIterator[tuple[Gateway, str]]:
    settings = gateway_settings(
        tmp / name,
        gateway_id=name,
        outbound_allow="127.0.0.1/32",
        gateway_websub_retry_delay=0.05,
        gateway_websub_delivery_attempts=3,
        gateway_websub_concurrency=8,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=control_plane), base_url=CP) as http:
        gateway = Gateway(settings, bus=portal.bus, http=http)
        async with gateway.lifespan():
            await gateway.syncer.complete.wait()
            await gateway.websub.subscribers.loaded.wait()
            async with served(gateway) as url:
                yield gateway, url


@dataclass
class World:
    portal: Portal
    control_plane: ControlPlane
    callbacks: Callbacks
    gateways: list[Gateway]
    urls: list[str]
    app_id: str
    tokens: TokenFactory
    tmp: Path
    events: list[CloudEvent]  # every webhook-subscription.* event, as the bus carried it

    def bearer(self, client_id: str = "client-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.mint('alice', '', client_id=client_id)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("websub")
    callbacks = Callbacks()
    async with (
        running_portal(tokens, f"sqlite+aiosqlite:///{tmp / 'devportal.db'}") as portal,
        served(callbacks) as callback_url,
    ):
        callbacks.port = int(callback_url.rsplit(":", 1)[1])
        events: list[CloudEvent] = []

        async def record(event: CloudEvent) -> None:
            events.append(event)

        portal.bus.subscribe([str(Topic.WEBHOOK_SUBSCRIPTIONS)], "test-websub-recorder", record)
        made = await portal.client.post(
            f"{BASE}/applications",
            json={"name": "Mine", "throttlingPolicy": "Unlimited"},
            headers=portal.headers(),
        )
        assert made.status_code in (201, 202), made.text
        app_id = made.json()["applicationId"]
        sealed = SecretBox(gateway_settings(tmp).secret(), ENDPOINT_SECRETS).seal(PROVIDER_SECRET)
        control_plane = ControlPlane(tokens, hooks_snapshot(app_id, sealed))
        control_plane.portal = portal
        async with (
            running_gateway(tmp, "gw-1", control_plane, portal) as (one, one_url),
            running_gateway(tmp, "gw-2", control_plane, portal) as (two, two_url),
        ):
            yield World(
                portal, control_plane, callbacks, [one, two], [one_url, two_url], app_id, tokens, tmp, events
            )


async def until(check: Callable[[], Any], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


def provider_signature(body: bytes, secret: str = PROVIDER_SECRET) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


async def hub_request(
    world: World,
    mode: str,
    topic: str,
    callback: str,
    *,
    gateway: int = 0,
    client_id: str = "client-1",
    **extra: str,
) -> httpx.Response:
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback, **extra}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{world.urls[gateway]}/hooks/1.0.0", data=form, headers=world.bearer(client_id)
        )


async def subscribe(world: World, topic: str, name: str, *, gateway: int = 0, **extra: str) -> None:
    """Subscribed and active on every gateway."""
    answer = await hub_request(world, "subscribe", topic, world.callbacks.url(name), gateway=gateway, **extra)
    assert answer.status_code == 202, answer.text
    await until(lambda: all(_active(g, name, world) for g in world.gateways))


def _active(gateway: Gateway, name: str, world: World) -> bool:
    return any(s.callback == world.callbacks.url(name) for s in gateway.websub.registry.by_id.values())


async def publish_event(
    world: World, topic: str, body: bytes, *, gateway: int = 0, signature: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-Hub-Signature": signature or provider_signature(body)}
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{world.urls[gateway]}{EVENTS}", params={"topic": topic}, content=body, headers=headers
        )


async def portal_rows(world: World, name: str) -> list[dict[str, Any]]:
    """The Developer Portal's snapshot rows of a callback, once it has stored them."""
    service = world.tokens.headers("apim-internal-services", "apim:internal")
    rows: list[dict[str, Any]] = []
    for _ in range(250):  # the Developer Portal stores the created event on its own time
        await world.portal.bus.drain()
        snapshot = await world.portal.client.get(SNAPSHOT_PATH, headers=service)
        rows = [r for r in snapshot.json()["list"] if r["callbackUrl"] == world.callbacks.url(name)]
        if rows:
            break
        await asyncio.sleep(0.02)
    return rows


async def test_subscription_is_verified_by_its_challenge_then_delivered(world: World) -> None:
    await subscribe(world, "issues", "issues", **{"hub.lease_seconds": "3600"})
    [check] = world.callbacks.checks["issues"]
    assert check["hub.mode"] == "subscribe"
    assert check["hub.topic"] == "/issues"
    assert check["hub.lease_seconds"] == "3600"
    assert len(check["hub.challenge"]) >= 20
    answer = await publish_event(world, "issues", b'{"issue": 1}')
    assert answer.status_code == 202
    await until(lambda: world.callbacks.deliveries.get("issues"))
    [(body, headers)] = world.callbacks.deliveries["issues"]
    assert body == b'{"issue": 1}'
    assert "x-hub-signature" not in headers  # no hub.secret given


async def test_a_wrong_challenge_echo_does_not_activate(world: World) -> None:
    answer = await hub_request(world, "subscribe", "wrong", world.callbacks.url("wrong"))
    assert answer.status_code == 202
    await until(lambda: world.callbacks.checks.get("wrong"))
    await asyncio.sleep(0.1)
    assert not any(_active(g, "wrong", world) for g in world.gateways)


async def test_delivery_is_signed_with_the_subscribers_secret(world: World) -> None:
    await subscribe(world, "/signed", "signed", **{"hub.secret": "subscriber-secret"})
    body = b'{"signed": true}' + b"x" * 8192
    assert (await publish_event(world, "signed", body)).status_code == 202
    await until(lambda: world.callbacks.deliveries.get("signed"))
    [(delivered, headers)] = world.callbacks.deliveries["signed"]
    expected = hmac.new(b"subscriber-secret", delivered, hashlib.sha256).hexdigest()
    assert delivered == body
    assert headers["x-hub-signature"] == f"sha256={expected}"


async def test_subscriber_secret_never_travels_in_clear(world: World) -> None:
    """In the created event, the Developer Portal's row and the gateways' snapshot: sealed."""
    await subscribe(world, "seen", "seen", **{"hub.secret": "very-secret-value"})
    [row] = await portal_rows(world, "seen")
    assert row["secret"].startswith("sealed:")
    assert "very-secret-value" not in str(row)
    [created] = [
        e for e in world.events if e.type == CREATED and e.data["callbackUrl"] == world.callbacks.url("seen")
    ]
    assert created.data["secret"].startswith("sealed:")
    assert "very-secret-value" not in created.model_dump_json()
    listed = await world.portal.client.get(
        f"{BASE}/webhooks/subscriptions",
        params={"applicationId": world.app_id},
        headers=world.portal.headers(),
    )
    assert "very-secret-value" not in listed.text
    assert "sealed:" not in listed.text


async def test_a_failing_callback_is_retried_until_it_succeeds(world: World) -> None:
    await subscribe(world, "flaky", "flaky")
    assert (await publish_event(world, "flaky", b'{"n": 1}')).status_code == 202
    await until(lambda: world.callbacks.deliveries.get("flaky"))
    assert world.callbacks.refused["flaky"] == 2
    assert [body for body, _ in world.callbacks.deliveries["flaky"]] == [b'{"n": 1}']


async def test_the_tiers_subscriber_count_refuses_the_next_subscription(world: World) -> None:
    """TwoHooks allows app-2 two active subscribers; the third is refused as WSO2 throttles."""
    for n in (1, 2):
        answer = await hub_request(
            world, "subscribe", "capped", world.callbacks.url(f"capped-{n}"), client_id="client-2"
        )
        assert answer.status_code == 202
        await until(lambda n=n: _active(world.gateways[0], f"capped-{n}", world))
    refused = await hub_request(
        world, "subscribe", "capped", world.callbacks.url("capped-3"), client_id="client-2"
    )
    assert refused.status_code == 429
    assert refused.json()["code"] == "900804"
    assert "Subscriber Count Reached" in refused.json()["description"]
    # Renewing one of the two is no new subscriber.
    renewed = await hub_request(
        world, "subscribe", "capped", world.callbacks.url("capped-1"), client_id="client-2"
    )
    assert renewed.status_code == 202


async def test_deliveries_count_against_the_subscriptions_event_limit(world: World) -> None:
    """TwoEvents: two events a month for app-3's subscription; the third is not delivered."""
    url = world.callbacks.url("counted")
    answer = await hub_request(world, "subscribe", "counted", url, client_id="client-3")
    assert answer.status_code == 202
    await until(lambda: all(_active(g, "counted", world) for g in world.gateways))
    stats = world.gateways[0].websub.deliverer.stats
    throttled = stats.throttled
    for n in range(3):
        assert (await publish_event(world, "counted", b'{"n": %d}' % n)).status_code == 202
    await until(lambda: stats.throttled == throttled + 1)
    await until(lambda: len(world.callbacks.deliveries.get("counted", [])) == 2)
    await asyncio.sleep(0.1)
    # The first two events were admitted; they may reach the callback in either order.
    assert sorted(body for body, _ in world.callbacks.deliveries["counted"]) == [b'{"n": 0}', b'{"n": 1}']


async def test_unsubscribe_stops_deliveries(world: World) -> None:
    await subscribe(world, "leaving", "leaving")
    answer = await hub_request(world, "unsubscribe", "leaving", world.callbacks.url("leaving"))
    assert answer.status_code == 202
    await until(lambda: not any(_active(g, "leaving", world) for g in world.gateways))
    assert world.callbacks.checks["leaving"][-1]["hub.mode"] == "unsubscribe"
    assert (await publish_event(world, "leaving", b"{}")).status_code == 202
    await asyncio.sleep(0.2)
    assert "leaving" not in world.callbacks.deliveries


async def test_an_event_with_a_bad_signature_is_refused(world: World) -> None:
    body = b'{"forged": true}'
    forged = await publish_event(world, "issues", body, signature=provider_signature(body, "guess"))
    assert forged.status_code == 401
    assert forged.json()["code"] == "900901"
    async with httpx.AsyncClient(timeout=10) as client:
        unsigned = await client.post(f"{world.urls[0]}{EVENTS}", params={"topic": "issues"}, content=body)
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] == "900902"


async def test_an_event_signed_with_another_algorithm_is_refused(world: World) -> None:
    """The API signs with SHA1: the right secret under SHA256 is no signature of it."""
    body = b'{"algorithm": "sha256"}'
    sha256 = "sha256=" + hmac.new(PROVIDER_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = await publish_event(world, "issues", body, signature=sha256)
    assert answer.status_code == 401


async def test_a_signature_under_another_header_is_not_taken(world: World) -> None:
    """The API names X-Hub-Signature; the right signature elsewhere is missing credentials."""
    body = b'{"header": "other"}'
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"{world.urls[0]}{EVENTS}",
            params={"topic": "issues"},
            content=body,
            headers={"X-Hub-Signature-256": provider_signature(body)},
        )
    assert answer.status_code == 401
    assert answer.json()["code"] == "900902"


async def test_a_callback_the_outbound_guard_refuses_is_not_called(world: World) -> None:
    answer = await hub_request(world, "subscribe", "pulls", "http://169.254.169.254/latest/meta-data")
    assert answer.status_code == 400
    assert "link-local" in answer.json()["description"]


async def test_a_subscription_made_on_one_gateway_is_delivered_by_the_other(world: World) -> None:
    await subscribe(world, "shared", "shared", gateway=0)
    assert (await publish_event(world, "shared", b'{"from": 2}', gateway=1)).status_code == 202
    await until(lambda: world.gateways[1].websub.deliverer.stats.delivered >= 1)
    assert world.callbacks.deliveries["shared"][0][0] == b'{"from": 2}'


async def test_a_restarted_gateway_delivers_to_subscribers_made_before(world: World) -> None:
    """A third gateway, started now, takes the live subscribers from the Developer Portal."""
    assert await portal_rows(world, "shared")
    async with running_gateway(world.tmp, "gw-3", world.control_plane, world.portal) as (three, url):
        assert any(s.callback == world.callbacks.url("shared") for s in three.websub.registry.by_id.values())
        before = len(world.callbacks.deliveries["shared"])
        world.urls.append(url)
        try:
            assert (await publish_event(world, "shared", b'{"from": 3}', gateway=2)).status_code == 202
        finally:
            world.urls.pop()
        await until(lambda: len(world.callbacks.deliveries["shared"]) > before)


async def test_an_expired_lease_ends_the_subscription(world: World) -> None:
    """Announced as deleted (every gateway and the Developer Portal drop it); nothing delivered."""
    await subscribe(world, "pulls", "expiring", **{"hub.lease_seconds": "1"})
    url = world.callbacks.url("expiring")
    [ident] = [s.id for s in world.gateways[0].websub.registry.by_id.values() if s.callback == url]
    await asyncio.sleep(1.05)
    assert await world.gateways[1].websub.expire_leases() == 1
    await until(lambda: not any(_active(g, "expiring", world) for g in world.gateways))
    assert any(e.type == DELETED and e.subject == ident for e in world.events)
    assert (await publish_event(world, "pulls", b"{}")).status_code == 202
    await asyncio.sleep(0.1)
    assert "expiring" not in world.callbacks.deliveries


async def test_the_devportal_shows_the_last_delivery_and_its_status(world: World) -> None:
    await until(lambda: world.callbacks.deliveries.get("issues"))
    portal = world.portal

    async def listed() -> dict[str, Any]:
        answer = await portal.client.get(
            f"{BASE}/webhooks/subscriptions", params={"applicationId": world.app_id}, headers=portal.headers()
        )
        assert answer.status_code == 200, answer.text
        return {row["callBackUrl"]: row for row in answer.json()["list"]}

    rows: dict[str, Any] = {}
    for _ in range(200):
        await portal.bus.drain()
        rows = await listed()
        if rows.get(world.callbacks.url("issues"), {}).get("deliveryStatus") == 1:
            break
        await asyncio.sleep(0.02)
    issues = rows[world.callbacks.url("issues")]
    assert issues["deliveryStatus"] == 1
    assert issues["deliveryTime"] is not None
    assert issues["topic"] == "/issues"
    assert world.callbacks.url("leaving") not in rows  # unsubscribed: deleted
    assert world.callbacks.url("wrong") not in rows  # never verified
    assert world.callbacks.url("expiring") not in rows  # its lease ran out


async def test_a_hub_secret_under_112_bits_is_refused_in_fips_mode(world: World) -> None:
    crypto_policy.activate(crypto_policy.CryptoProvider.FIPS)
    try:
        answer = await hub_request(
            world, "subscribe", "seen", world.callbacks.url("short"), **{"hub.secret": "short"}
        )
    finally:
        crypto_policy.activate(crypto_policy.CryptoProvider.DEFAULT)
    assert answer.status_code == 400, answer.text
    assert "HMAC key of 40 bits" in answer.text
