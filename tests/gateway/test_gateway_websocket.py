"""WebSocket APIs end to end over real sockets: a ``websockets`` backend and client started here,
the gateway served by uvicorn (and once by granian) in between."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Request, Response

from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_gateway.app import Gateway
from apim_gateway.errors import GatewayError
from apim_gateway.observability import WEBSOCKET_CONNECTION_EVENT, WEBSOCKET_THROTTLED_EVENT
from apim_gateway.ratelimit import LocalLimiter
from apim_gateway.request.event_limits import EventLimits
from apim_gateway.runtime.tiers import Limit
from apim_gateway.throttling import ThrottleClient, ThrottleLevel
from apim_gateway.websocket.server_options import uvicorn_websocket_options
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership.store import MemoryMembership
from tests.gateway.conftest import RESIDENT, TENANT, FakeControlPlane, Harness, RunningGateway, base_snapshot
from tests.gateway.test_gateway_analytics_events import FAULT_FIELDS, RESPONSE_FIELDS
from tests.support.granian_gateway import granian_gateway
from tests.support.serving import serving
from tests.support.tokens import TokenFactory
from tests.throttle_sync.load import InProcessTransport, store_at_a_window_start

CHAT = "api-chat"


def event_limit(count: int, unit: str = "min") -> dict[str, Any]:
    return {"type": "EVENTCOUNTLIMIT", "eventCount": {"timeUnit": unit, "unitTime": 1, "eventCount": count}}


def chat_api(ws_port: int) -> dict[str, Any]:
    return {
        "id": CHAT,
        "name": "Chat",
        "context": "/chat",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "WS",
        "tenant": TENANT,
        "revisionId": "rev-chat-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2", "api_key"],
        "apiKeyHeader": "X-API-Key",
        "authorizationHeader": "Authorization",
        "policies": ["AsyncGold", "AsyncTiny"],
        "endpointConfig": {
            "endpoint_type": "ws",
            "production_endpoints": {"url": f"ws://127.0.0.1:{ws_port}"},
            "sandbox_endpoints": {"url": f"ws://127.0.0.1:{ws_port}"},
        },
        "operations": [
            {"verb": "SUBSCRIBE", "target": "/rooms/{room}", "authType": "Any"},
            {"verb": "PUBLISH", "target": "/private", "authType": "Any"},
            {"verb": "SUBSCRIBE", "target": "/open", "authType": "None"},
        ],
    }


def quiet_api(ws_port: int) -> dict[str, Any]:
    """Chat again at /quiet, its production endpoint allowing 0.3 s without a frame."""
    api = chat_api(ws_port)
    api.update(id="api-quiet", name="Quiet", context="/quiet", revisionId="rev-quiet-1")
    api["endpointConfig"]["production_endpoints"]["config"] = {"actionDuration": 300}
    return api


def chat_snapshot(ws_port: int, http_port: int) -> dict[str, dict[str, Any]]:
    snapshot = base_snapshot(http_port)
    snapshot["publisher"]["artifacts"] += [chat_api(ws_port), quiet_api(ws_port)]
    devportal, admin = snapshot["devportal"], snapshot["admin"]
    for app_id, client_id in (("app-2", "client-2"), ("app-3", "client-3")):
        devportal["applications"].append(
            {
                "applicationId": app_id,
                "name": app_id,
                "owner": "bob",
                "throttlingPolicy": "Unlimited",
                "status": "APPROVED",
                "tenant": TENANT,
            }
        )
        devportal["keyMappings"].append(
            {
                "applicationId": app_id,
                "keyType": "PRODUCTION",
                "keyManager": RESIDENT,
                "consumerKey": client_id,
            }
        )
    devportal["subscriptions"] += [
        {
            "subscriptionId": "sub-chat-1",
            "applicationId": "app-1",
            "apiId": CHAT,
            "throttlingPolicy": "AsyncGold",
            "status": "UNBLOCKED",
        },
        {
            "subscriptionId": "sub-chat-2",
            "applicationId": "app-2",
            "apiId": CHAT,
            "throttlingPolicy": "AsyncTiny",
            "status": "UNBLOCKED",
        },
    ]
    admin["throttlePolicies"]["subscription"] += [
        {"policyName": "AsyncGold", "defaultLimit": event_limit(50_000, "day"), "tenant": TENANT},
        {"policyName": "AsyncTiny", "defaultLimit": event_limit(4), "tenant": TENANT},
    ]
    return snapshot


@dataclass
class Backend:
    """Echoes every message; ``/private`` refuses the handshake with 401; ``/rooms/big`` answers
    with a message of the size it is sent as text."""

    requests: list[Request] = field(default_factory=list)
    port: int = 0
    received: int = 0  # messages, on every connection

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        if request.path.startswith("/private"):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "the backend wants its own credentials\n")
        return None

    async def handler(self, connection: ServerConnection) -> None:
        async for message in connection:
            self.received += 1
            if connection.request is not None and connection.request.path.startswith("/rooms/big"):
                await connection.send("x" * int(message))
            else:
                await connection.send(message)


@pytest.fixture
async def ws_backend() -> AsyncIterator[Backend]:
    backend = Backend()
    server: Server
    async with serve(backend.handler, "127.0.0.1", 0, process_request=backend.process_request) as server:
        backend.port = next(iter(server.sockets)).getsockname()[1]
        yield backend


@pytest.fixture
def snapshot(ws_backend: Backend, backend_port: int) -> dict[str, dict[str, Any]]:
    return chat_snapshot(ws_backend.port, backend_port)


@contextlib.asynccontextmanager
async def served(app: Gateway) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free port: its ws:// base URL."""
    async with serving(app) as port:
        yield f"ws://127.0.0.1:{port}"


@pytest.fixture
async def gateway(harness: Harness) -> AsyncIterator[str]:
    async with served(harness.gateway) as url:
        yield url


def bearer(harness: Harness, client_id: str = "client-1", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {harness.tokens.mint('alice', client_id=client_id, **claims)}"}


async def _refusal(url: str, **kwargs: Any) -> Response:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **kwargs):
            pass
    return refused.value.response


async def test_frames_are_relayed_both_ways(harness: Harness, gateway: str, ws_backend: Backend) -> None:
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness)) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00\x01binary")
        assert await ws.recv() == b"\x00\x01binary"
    assert ws_backend.requests[-1].path == "/rooms/1"


async def test_handshake_without_a_token_is_refused_with_401_and_a_json_body(
    harness: Harness, gateway: str, ws_backend: Backend
) -> None:
    response = await _refusal(f"{gateway}/chat/1.0.0/rooms/1")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["code"] == "900902"
    assert ws_backend.requests == []


async def test_unsubscribed_application_is_refused_with_403(harness: Harness, gateway: str) -> None:
    response = await _refusal(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness, "client-3"))
    assert response.status_code == 403
    assert json.loads(response.body)["code"] == "900908"


async def test_access_token_query_parameter_authenticates(
    harness: Harness, gateway: str, ws_backend: Backend
) -> None:
    token = harness.tokens.mint("alice", client_id="client-1")
    async with connect(f"{gateway}/chat/1.0.0/rooms/1?access_token={token}&since=5") as ws:
        await ws.send("hi")
        assert await ws.recv() == "hi"
    request = ws_backend.requests[-1]
    assert request.path == "/rooms/1?since=5"
    assert "Authorization" not in request.headers


async def test_custom_header_query_parameter_reaches_the_backend_as_a_header(
    harness: Harness, gateway: str, ws_backend: Backend
) -> None:
    url = f"{gateway}/chat/1.0.0/rooms/1?websocket.custom.header.X-Room-Key=k-42"
    async with connect(url, additional_headers=bearer(harness)):
        pass
    request = ws_backend.requests[-1]
    assert request.headers["X-Room-Key"] == "k-42"
    assert request.path == "/rooms/1"


async def test_upstream_refusal_reaches_the_client_with_its_status(
    harness: Harness, gateway: str, ws_backend: Backend
) -> None:
    response = await _refusal(f"{gateway}/chat/1.0.0/private", additional_headers=bearer(harness))
    assert response.status_code == 401
    assert response.body == b"the backend wants its own credentials\n"


async def test_connection_closes_with_4003_after_exactly_the_event_limit(
    harness: Harness, gateway: str
) -> None:
    """AsyncTiny allows 4 events a minute: two messages and their two echoes; the fifth frame closes."""
    echoes: list[str | bytes] = []
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness, "client-2")) as ws:
        for n in range(3):
            await ws.send(f"m{n}")
            try:
                echoes.append(await ws.recv())
            except ConnectionClosed:
                break
        await ws.wait_closed()
    assert echoes == ["m0", "m1"]
    assert ws.close_code == 4003
    assert ws.close_reason == "Websocket frame throttled out"


async def test_handshake_is_refused_with_429_once_the_event_window_is_spent(
    harness: Harness, gateway: str, ws_backend: Backend
) -> None:
    """AsyncTiny's 4 events spent by one connection: the next handshake gets WSO2's throttled
    body with the subscription level's code, and never reaches the backend."""
    url, headers = f"{gateway}/chat/1.0.0/rooms/1", bearer(harness, "client-2")
    async with connect(url, additional_headers=headers) as ws:
        for n in range(3):
            await ws.send(f"m{n}")
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
        await ws.wait_closed()
    assert ws.close_code == 4003
    handshakes = len(ws_backend.requests)
    response = await _refusal(url, additional_headers=headers)
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {
        "code": "900804",
        "message": "Message throttled out",
        "description": "You have exceeded your subscription's quota",
    }
    assert int(response.headers["Retry-After"]) >= 1
    assert len(ws_backend.requests) == handshakes


@pytest.mark.parametrize(
    ("level", "code"),
    [
        (ThrottleLevel.API, "900800"),
        (ThrottleLevel.RESOURCE, "900802"),
        (ThrottleLevel.APPLICATION, "900803"),
        (ThrottleLevel.SUBSCRIPTION, "900804"),
    ],
)
async def test_a_spent_event_window_refuses_the_handshake_with_its_levels_code(
    level: ThrottleLevel, code: str
) -> None:
    """The handshake's check peeks: it takes no event, and refuses once the window is spent."""
    events = EventLimits(LocalLimiter(), [("events-key", Limit(count=2, window=60), level)], [])
    for _ in range(3):
        await events.admit_connection()
    assert [await events.admit() for _ in range(3)] == [None, None, level]
    with pytest.raises(GatewayError) as refused:
        await events.admit_connection()
    assert (refused.value.status, refused.value.code) == (429, code)


async def test_the_throttle_clients_peek_takes_nothing_and_refuses_only_a_known_spent_window() -> None:
    service = LeaseService(store_at_a_window_start(), MemoryMembership(ttl_seconds=5.0))
    client = ThrottleClient(InProcessTransport(service), gateway_id="peek-gw")
    await client.start()
    try:
        assert client.peek("peeked", 2, 60).admitted
        assert "peeked" not in client  # a peek makes no bucket and asks for no lease
        admitted = [(await client.acquire("peeked", 2, 60)).admitted for _ in range(3)]
        assert admitted == [True, True, False]
        assert not client.peek("peeked", 2, 60).admitted
        assert not (await client.acquire("peeked", 2, 60)).admitted  # the peek gave nothing back
    finally:
        await client.close()


async def test_frame_bytes_count_on_a_bandwidth_limit_and_the_next_handshake_is_refused_with_429(
    harness: Harness, gateway: str
) -> None:
    """AsyncTiny as 1 KB a minute: a connection admitted below the limit relays 600 bytes each
    way; the window then holds 1200 bytes, so the next handshake is refused 429 900804."""
    bandwidth = {
        "type": "BANDWIDTHLIMIT",
        "bandwidth": {"timeUnit": "min", "unitTime": 1, "dataAmount": 1, "dataUnit": "KB"},
    }
    await harness.publish(
        Topic.THROTTLE_POLICIES,
        "throttle-policy.updated",
        {"policyType": "subscription", "policy": {"policyName": "AsyncTiny", "defaultLimit": bandwidth}},
    )
    url, headers = f"{gateway}/chat/1.0.0/rooms/1", bearer(harness, "client-2")
    async with connect(url, additional_headers=headers) as ws:
        await ws.send("x" * 600)
        assert await ws.recv() == "x" * 600
    response = await _refusal(url, additional_headers=headers)
    assert response.status_code == 429
    assert json.loads(response.body)["code"] == "900804"
    assert "Retry-After" in response.headers


async def test_oversized_message_closes_with_1009(harness: Harness, gateway: str) -> None:
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness)) as ws:
        await ws.send(b"x" * (1024 * 1024))
        assert len(await ws.recv()) == 1024 * 1024  # the cap itself passes
        await ws.send(b"x" * (1024 * 1024 + 1))
        await ws.wait_closed()
    assert ws.close_code == 1009


async def test_connection_closes_1001_after_its_apis_idle_timeout(harness: Harness, gateway: str) -> None:
    """Quiet's endpoint sets ``actionDuration`` 300 ms: its connection closes 1001 after that long
    without a frame; Chat's, which sets none, stays open meanwhile."""
    async with (
        connect(f"{gateway}/chat/1.0.0/open") as chat,
        connect(f"{gateway}/quiet/1.0.0/open") as quiet,
    ):
        await quiet.send("last")
        assert await quiet.recv() == "last"
        last_frame = time.monotonic()
        await asyncio.wait_for(quiet.wait_closed(), 5)
        quiet_for = time.monotonic() - last_frame
        await chat.send("still here")
        assert await chat.recv() == "still here"
    assert quiet.close_code == 1001
    assert quiet.close_reason == "Idle timeout"
    assert 0.28 <= quiet_for < 2.0  # the gateway saw the last frame a little before this client did


async def test_revoked_token_closes_the_socket_within_a_second(harness: Harness, gateway: str) -> None:
    headers = bearer(harness, jti="jti-ws")
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=headers) as ws:
        await ws.send("before")
        assert await ws.recv() == "before"
        await harness.publish(
            Topic.TOKEN_REVOCATIONS, "token.revoked", {"jti": "jti-ws", "expiresAt": int(time.time()) + 3600}
        )
        revoked_at = time.monotonic()
        await asyncio.wait_for(ws.wait_closed(), 5)
        closed_after = time.monotonic() - revoked_at
    assert ws.close_code == 4001
    assert closed_after < 1.0


async def test_blocked_subscription_closes_the_socket_with_4006(harness: Harness, gateway: str) -> None:
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness)) as ws:
        await harness.publish(
            Topic.SUBSCRIPTIONS,
            "subscription.updated",
            {
                "subscriptionId": "sub-chat-1",
                "applicationId": "app-1",
                "apiId": CHAT,
                "throttlingPolicy": "AsyncGold",
                "status": "BLOCKED",
            },
        )
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 4006


async def test_undeployed_api_closes_its_sockets_with_4006(harness: Harness, gateway: str) -> None:
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness)) as ws:
        await harness.publish(
            Topic.DEPLOYMENTS,
            "deployment.undeployed",
            {"apiId": CHAT, "revisionId": "rev-chat-1", "environment": "Default"},
        )
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 4006
    assert (
        await _refusal(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness))
    ).status_code == 404


async def _analytics(harness: Harness, *types: str) -> list[CloudEvent]:
    """Collects the gateway's analytics events of ``types`` (the list fills as they come)."""
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        if event.type in types:
            seen.append(event)

    harness.bus.subscribe([str(Topic.ANALYTICS)], f"ws-analytics-{'-'.join(types)}", collect)
    return seen


async def _until(seen: list[CloudEvent], count: int) -> None:
    for _ in range(300):
        if len(seen) >= count:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # and nothing more


def _has_wso2_fields(data: dict[str, Any], fields: dict[str, type | tuple[type, ...]]) -> None:
    for name, kind in fields.items():
        assert name in data, name
        assert data[name] is None or isinstance(data[name], kind), (name, data[name])


async def test_connection_analytics_event_has_wso2_fields_and_counts_frames_and_bytes(
    harness: Harness, gateway: str
) -> None:
    seen = await _analytics(harness, WEBSOCKET_CONNECTION_EVENT)
    headers = {**bearer(harness), "User-Agent": "curl/8.5.0"}
    async with connect(f"{gateway}/chat/1.0.0/rooms/big", additional_headers=headers) as ws:
        for size in ("10", "2000"):
            await ws.send(size)
            await ws.recv()
    await _until(seen, 1)
    [event] = seen
    data = event.data
    _has_wso2_fields(data, RESPONSE_FIELDS)
    assert (data["apiId"], data["apiType"], data["apiContext"]) == (CHAT, "WS", "/chat/1.0.0")
    assert (data["applicationId"], data["applicationName"], data["keyType"]) == (
        "app-1",
        "PetShop",
        "PRODUCTION",
    )
    assert (data["proxyResponseCode"], data["targetResponseCode"], data["eventType"]) == (
        101,
        101,
        "response",
    )
    assert data["apiMethod"] == "SUBSCRIBE"
    assert data["apiResourceTemplate"] == "/rooms/{room}"
    assert data["userAgent"] == "curl"
    assert data["destination"].startswith("ws://127.0.0.1:")
    assert data["responseLatency"] >= data["backendLatency"] >= 0
    properties = data["properties"]
    assert (properties["framesFromClient"], properties["bytesFromClient"]) == (2, 6)
    assert (properties["framesToClient"], properties["bytesToClient"]) == (2, 2010)
    assert properties["closeCode"] == 1000
    assert isinstance(properties["durationMs"], int)


async def test_text_frames_count_their_utf8_bytes(harness: Harness, gateway: str) -> None:
    """An ASCII text's bytes are its length; any other text's are its UTF-8 encoding's."""
    seen = await _analytics(harness, WEBSOCKET_CONNECTION_EVENT)
    async with connect(f"{gateway}/chat/1.0.0/open") as ws:
        for text in ("plain", "h\u00e9llo \u2603"):
            await ws.send(text)
            assert await ws.recv() == text
    await _until(seen, 1)
    properties = seen[0].data["properties"]
    assert (properties["bytesFromClient"], properties["bytesToClient"]) == (5 + 10, 5 + 10)


async def test_relayed_frames_reach_the_frame_counter(harness: Harness, gateway: str) -> None:
    """Frames are published to ``apim_gateway_ws_frames`` by the sweep and at the connection's
    end, not one increment each, and every one of them arrives there."""

    def frames() -> tuple[float, float]:
        labels = [{"api": "Chat", "direction": d} for d in ("upstream", "downstream")]
        up, down = (REGISTRY.get_sample_value("apim_gateway_ws_frames_total", one) or 0.0 for one in labels)
        return up, down

    up, down = frames()
    async with connect(f"{gateway}/chat/1.0.0/open") as ws:
        for n in range(5):
            await ws.send(f"m{n}")
            await ws.recv()
    for _ in range(100):
        if frames() == (up + 5, down + 5):
            break
        await asyncio.sleep(0.02)
    assert frames() == (up + 5, down + 5)


@pytest.mark.parametrize(
    ("settings_overrides", "deflate"), [({}, False), ({"gateway_ws_compression": True}, True)]
)
async def test_permessage_deflate_is_negotiated_on_both_legs_only_when_turned_on(
    harness: Harness, ws_backend: Backend, deflate: bool
) -> None:
    """The gateway served with the uvicorn options it gets in every mode: a client offering
    permessage-deflate gets it, and the backend is offered it, only with
    ``APIM_GATEWAY_WS_COMPRESSION``."""
    message = "compressible " * 100
    options = uvicorn_websocket_options(harness.gateway.settings)
    async with (
        serving(harness.gateway, **options) as port,
        connect(f"ws://127.0.0.1:{port}/chat/1.0.0/open", compression="deflate") as ws,
    ):
        await ws.send(message)
        assert await ws.recv() == message
    assert ws.response is not None
    client_leg = ws.response.headers.get("Sec-WebSocket-Extensions", "")
    backend_leg = ws_backend.requests[-1].headers.get("Sec-WebSocket-Extensions", "")
    assert ("permessage-deflate" in client_leg, "permessage-deflate" in backend_leg) == (deflate, deflate)


async def test_a_throttled_frame_yields_exactly_one_fault_event(harness: Harness, gateway: str) -> None:
    """AsyncTiny (4 events a minute): the fifth frame is refused; it is one THROTTLED fault event
    beside the connection's event."""
    seen = await _analytics(harness, WEBSOCKET_CONNECTION_EVENT, WEBSOCKET_THROTTLED_EVENT)
    async with connect(f"{gateway}/chat/1.0.0/rooms/1", additional_headers=bearer(harness, "client-2")) as ws:
        for n in range(3):
            await ws.send(f"m{n}")
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
        await ws.wait_closed()
    await _until(seen, 2)
    faults = [e.data for e in seen if e.type == WEBSOCKET_THROTTLED_EVENT]
    assert len(faults) == 1
    [fault] = faults
    _has_wso2_fields(fault, {**RESPONSE_FIELDS, **FAULT_FIELDS})
    assert (fault["eventType"], fault["errorType"], fault["errorCode"]) == ("fault", "THROTTLED", 900804)
    assert fault["errorMessage"] == "SUBSCRIPTION_LIMIT_EXCEEDED"
    assert (fault["proxyResponseCode"], fault["targetResponseCode"]) == (429, -1)
    assert fault["properties"]["direction"] == "upstream"
    [connection] = [e.data for e in seen if e.type == WEBSOCKET_CONNECTION_EVENT]
    assert connection["properties"]["closeCode"] == 4003


async def test_granian_serves_websocket_apis(tmp_path: Path, ws_backend: Backend) -> None:
    """The gateway process under granian, serving from its snapshot cache (no control plane)."""
    async with granian_gateway(tmp_path, chat_snapshot(ws_backend.port, 9)) as port:
        async with connect(f"ws://127.0.0.1:{port}/chat/1.0.0/open") as ws:
            await ws.send("through granian")
            assert await ws.recv() == "through granian"
        refused = await _refusal(f"ws://127.0.0.1:{port}/chat/1.0.0/rooms/1")
    assert refused.status_code == 401
    assert json.loads(refused.body)["code"] == "900902"


async def _relay_until_closed(ws: Any, received: list[str | bytes]) -> bool:
    """One message and its echo; False once the connection is closed."""
    try:
        await ws.send("m")
        received.append(await ws.recv())
    except ConnectionClosed:
        return False
    return True


async def test_two_gateways_share_one_event_limit(
    tmp_path: Path, tokens: TokenFactory, ws_backend: Backend, backend_port: int
) -> None:
    """AsyncTiny as 11 events a minute, one connection on each of two gateways sharing throttle-sync's
    counters: together they relay exactly 11 frames, then both close 4003."""
    snapshot = copy.deepcopy(chat_snapshot(ws_backend.port, backend_port))
    tiny = snapshot["admin"]["throttlePolicies"]["subscription"][-1]
    tiny["defaultLimit"] = event_limit(11)
    service = LeaseService(store_at_a_window_start(), MemoryMembership(ttl_seconds=5.0))
    token = {"Authorization": f"Bearer {tokens.mint('alice', client_id='client-2')}"}
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for name in "ab":
            (tmp_path / name).mkdir()
            running = RunningGateway(tmp_path / name, FakeControlPlane(tokens, snapshot), {})
            gateway, _ = await stack.enter_async_context(running)
            throttle = ThrottleClient(InProcessTransport(service), gateway_id=f"ws-gw-{name}")
            await throttle.start()
            stack.push_async_callback(throttle.close)
            gateway.rate_limits.limiter = throttle
            urls.append(await stack.enter_async_context(served(gateway)))
        sockets = [
            await stack.enter_async_context(connect(f"{url}/chat/1.0.0/rooms/1", additional_headers=token))
            for url in urls
        ]
        echoes: list[str | bytes] = []
        open_ = list(sockets)
        while open_:
            open_ = [ws for ws in open_ if await _relay_until_closed(ws, echoes)]
        for ws in sockets:
            await ws.wait_closed()
        # Each gateway has seen the shared count run out: a new handshake is refused, not accepted.
        refusals = [await _refusal(f"{url}/chat/1.0.0/rooms/1", additional_headers=token) for url in urls]
    assert ws_backend.received + len(echoes) == 11
    assert [ws.close_code for ws in sockets] == [4003, 4003]
    assert [(r.status_code, json.loads(r.body)["code"]) for r in refusals] == [(429, "900804")] * 2
