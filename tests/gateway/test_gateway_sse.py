"""Server-Sent Events APIs end to end over real sockets: an SSE backend started here writes its
stream in the chunks each test sets, the gateway (uvicorn, once granian) relays it, and an httpx
client reads it as it comes.

The latency figures the tests print are the client's receive time minus the backend's write time,
both read from this process's clock."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_gateway.app import Gateway
from apim_gateway.observability import SSE_STREAM_EVENT, SSE_THROTTLED_EVENT
from tests.gateway.conftest import RESIDENT, TENANT, Harness, base_snapshot
from tests.gateway.test_gateway_analytics_events import FAULT_FIELDS, RESPONSE_FIELDS
from tests.support.granian_gateway import granian_gateway
from tests.support.serving import serving

TICKS = "api-ticks"
HOLD = "hold"  # the backend keeps the stream open until the gateway closes it
RELEASE = "release"  # the backend waits for the test to release it
# Generous against a loaded machine; the real figure is printed.
LATENCY_BOUND = 0.5


def event_limit(count: int) -> dict[str, Any]:
    return {"type": "EVENTCOUNTLIMIT", "eventCount": {"timeUnit": "min", "unitTime": 1, "eventCount": count}}


def ticks_api(port: int) -> dict[str, Any]:
    return {
        "id": TICKS,
        "name": "Ticks",
        "context": "/ticks",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "SSE",
        "tenant": TENANT,
        "revisionId": "rev-ticks-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "authorizationHeader": "Authorization",
        "policies": ["AsyncGold", "ThreeEvents"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"http://127.0.0.1:{port}"},
            "sandbox_endpoints": {"url": f"http://127.0.0.1:{port}"},
        },
        "operations": [
            {"verb": "SUBSCRIBE", "target": "/{topic}", "authType": "Any"},
            {"verb": "SUBSCRIBE", "target": "/open/{topic}", "authType": "None"},
        ],
    }


def idle_api(port: int) -> dict[str, Any]:
    """Ticks again at /idle, its production endpoint allowing 0.3 s of silence."""
    api = ticks_api(port)
    api.update(id="api-idle", name="Idle", context="/idle", revisionId="rev-idle-1")
    api["endpointConfig"]["production_endpoints"]["config"] = {"actionDuration": 300}
    return api


def ticks_snapshot(sse_port: int, http_port: int) -> dict[str, dict[str, Any]]:
    """client-1 subscribes with AsyncGold (50000 events a day), client-2 with ThreeEvents,
    client-3 with OneKilobyte (1 KB a minute)."""
    snapshot = base_snapshot(http_port)
    snapshot["publisher"]["artifacts"] += [ticks_api(sse_port), idle_api(sse_port)]
    devportal = snapshot["devportal"]
    for app, client in (("app-2", "client-2"), ("app-3", "client-3")):
        devportal["applications"].append(
            {
                "applicationId": app,
                "name": app,
                "owner": "bob",
                "throttlingPolicy": "Unlimited",
                "status": "APPROVED",
                "tenant": TENANT,
            }
        )
        devportal["keyMappings"].append(
            {"applicationId": app, "keyType": "PRODUCTION", "keyManager": RESIDENT, "consumerKey": client}
        )
    devportal["subscriptions"] += [
        {
            "subscriptionId": f"sub-ticks-{app}",
            "applicationId": app,
            "apiId": TICKS,
            "throttlingPolicy": tier,
            "status": "UNBLOCKED",
        }
        for app, tier in (("app-1", "AsyncGold"), ("app-2", "ThreeEvents"), ("app-3", "OneKilobyte"))
    ]
    kilobyte = {
        "type": "BANDWIDTHLIMIT",
        "bandwidth": {"dataAmount": 1, "dataUnit": "KB", "timeUnit": "min", "unitTime": 1},
    }
    snapshot["admin"]["throttlePolicies"]["subscription"] += [
        {"policyName": "AsyncGold", "defaultLimit": event_limit(50_000), "tenant": TENANT},
        {"policyName": "ThreeEvents", "defaultLimit": event_limit(3), "tenant": TENANT},
        {"policyName": "OneKilobyte", "defaultLimit": kilobyte, "tenant": TENANT},
    ]
    return snapshot


@dataclass
class SseBackend:
    """Answers each stream with the script of its topic: chunks of the body, pauses in seconds,
    ``RELEASE`` and ``HOLD``; records request heads, write times and streams closed on it."""

    scripts: dict[str, list[bytes | float | str]] = field(default_factory=dict)
    heads: list[dict[str, str]] = field(default_factory=list)
    written: list[float] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    closed_by_gateway: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            path = head[0].split(" ")[1]
            self.heads.append(
                {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head[1:] if line)}
            )
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            for step in self.scripts[path.rsplit("/", 1)[-1]]:
                if isinstance(step, bytes):
                    writer.write(b"%x\r\n%s\r\n" % (len(step), step))
                    await writer.drain()
                    self.written.append(time.perf_counter())
                elif step == RELEASE:
                    await self.release.wait()
                elif step == HOLD:
                    await writer.drain()
                    await reader.read()  # until the gateway closes the connection
                    self.closed_by_gateway.set()
                    return
                else:
                    assert isinstance(step, float)
                    await asyncio.sleep(step)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def sse_backend() -> AsyncIterator[SseBackend]:
    backend = SseBackend()
    server = await asyncio.start_server(backend.handle, "127.0.0.1", 0)
    backend.port = server.sockets[0].getsockname()[1]
    async with server:
        yield backend


@pytest.fixture
def snapshot(sse_backend: SseBackend, backend_port: int) -> dict[str, dict[str, Any]]:
    return ticks_snapshot(sse_backend.port, backend_port)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """A backend read timeout far shorter than the quiet stretches of the streams here."""
    return {"gateway_backend_timeout": 0.3}


@contextlib.asynccontextmanager
async def served(app: Gateway) -> AsyncIterator[str]:
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def gateway(harness: Harness) -> AsyncIterator[str]:
    async with served(harness.gateway) as url:
        yield url


@dataclass
class Received:
    status: int = 0
    events: list[str] = field(default_factory=list)  # each event's data lines, joined
    at: list[float] = field(default_factory=list)  # when each arrived
    ended_cleanly: bool = False


def _events(text: str) -> tuple[list[str], str]:
    """Complete events (their data) out of ``text``, and what is left of it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    *blocks, rest = text.split("\n\n")
    found = []
    for block in blocks:
        data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            found.append("\n".join(data))
    return found, rest


async def read_stream(
    url: str, headers: dict[str, str], *, on_event: Any = None, limit: float = 10.0
) -> Received:
    received = Received()
    async with (
        httpx.AsyncClient(timeout=limit) as client,
        client.stream("GET", url, headers={"Accept": "text/event-stream", **headers}) as response,
    ):
        received.status = response.status_code
        text = ""
        async for chunk in response.aiter_raw():
            now = time.perf_counter()
            found, text = _events(text + chunk.decode())
            for data in found:
                received.events.append(data)
                received.at.append(now)
                if on_event is not None:
                    on_event(data)
        received.ended_cleanly = text == ""
    return received


def _event(data: str, end: str = "\n") -> bytes:
    return f"data: {data}{end}{end}".encode()


async def test_event_reaches_the_client_while_the_stream_is_open(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """The backend holds the stream open after each event until the client has it."""
    sse_backend.scripts["live"] = [_event("one"), RELEASE, 0.05, _event("two")]
    received = await read_stream(
        f"{gateway}/ticks/1.0.0/live", harness.bearer(), on_event=lambda _: sse_backend.release.set()
    )
    assert received.events == ["one", "two"]
    latencies = [(at - written) * 1000 for at, written in zip(received.at, sse_backend.written, strict=True)]
    print(f"uvicorn: event latency {', '.join(f'{ms:.1f}' for ms in latencies)} ms")
    assert max(latencies) < LATENCY_BOUND * 1000


async def test_last_event_id_reaches_the_backend(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    sse_backend.scripts["resume"] = [b"id: 8\ndata: eight\n\n"]
    received = await read_stream(f"{gateway}/ticks/1.0.0/resume", {**harness.bearer(), "Last-Event-ID": "7"})
    assert received.events == ["eight"]
    assert sse_backend.heads[-1]["last-event-id"] == "7"


async def test_stream_ends_after_the_last_allowed_event(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """ThreeEvents: the fourth event is never sent, the fifth's first half neither; the stream
    ends cleanly and the backend's connection is closed."""
    sse_backend.scripts["many"] = [
        _event("1") + _event("2"),
        0.02,
        _event("3") + _event("4") + b"data: 5",
        HOLD,
    ]
    received = await read_stream(f"{gateway}/ticks/1.0.0/many", harness.bearer("client-2"))
    assert received.status == 200
    assert received.events == ["1", "2", "3"]
    assert received.ended_cleanly
    await asyncio.wait_for(sse_backend.closed_by_gateway.wait(), 5)


async def test_stream_is_refused_with_429_once_its_event_window_is_spent(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """ThreeEvents spent by one stream: the next call is refused 429 with WSO2's throttled body,
    rather than opened with 200 and ended with no event, and never reaches the backend."""
    sse_backend.scripts["spent"] = [_event("1") + _event("2") + _event("3") + _event("4"), HOLD]
    url = f"{gateway}/ticks/1.0.0/spent"
    assert (await read_stream(url, harness.bearer("client-2"))).events == ["1", "2", "3"]
    calls = len(sse_backend.heads)
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.get(url, headers=harness.bearer("client-2"))
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "900804",
        "message": "Message throttled out",
        "description": "You have exceeded your subscription's quota",
    }
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(sse_backend.heads) == calls


async def test_stream_events_have_wso2_fields_and_a_throttled_event_is_one_fault(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """ThreeEvents: the stream's event counts the three events it sent; the fourth, refused, is
    exactly one THROTTLED fault event."""
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        if event.type in (SSE_STREAM_EVENT, SSE_THROTTLED_EVENT):
            seen.append(event)

    harness.bus.subscribe([str(Topic.ANALYTICS)], "sse-analytics-test", collect)
    sse_backend.scripts["counted"] = [_event("1") + _event("2") + _event("3") + _event("4") + _event("5")]
    headers = {**harness.bearer("client-2"), "User-Agent": "curl/8.5.0"}
    assert len((await read_stream(f"{gateway}/ticks/1.0.0/counted", headers)).events) == 3
    for _ in range(300):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    [fault] = [e.data for e in seen if e.type == SSE_THROTTLED_EVENT]
    [stream] = [e.data for e in seen if e.type == SSE_STREAM_EVENT]
    for data in (stream, fault):
        for name, kind in RESPONSE_FIELDS.items():
            assert data[name] is None or isinstance(data[name], kind), (name, data[name])
        assert (data["apiId"], data["apiType"], data["applicationId"]) == (TICKS, "SSE", "app-2")
        assert data["userAgent"] == "curl"
    assert (stream["eventType"], stream["proxyResponseCode"]) == ("response", 200)
    assert stream["properties"]["eventsToClient"] == 3
    assert stream["properties"]["bytesToClient"] == 3 * len(_event("1"))
    assert (fault["eventType"], fault["errorType"], fault["errorCode"]) == ("fault", "THROTTLED", 900804)
    assert all(isinstance(fault[name], kind) for name, kind in FAULT_FIELDS.items())


async def test_events_split_across_chunks_are_counted_once(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """Three events whose lines end in CRLF, CR and LF, cut anywhere, and a keep-alive comment,
    under a limit of three: all three pass, and only the next one is refused."""
    sse_backend.scripts["split"] = [
        b"data: a\r",
        0.02,
        b"\n\r",
        0.02,
        b"\n: keep-alive\n\ndata: b\r",
        0.02,
        b"\rda",
        0.02,
        b"ta: c\n",
        0.02,
        b"\n",
        _event("d"),
        HOLD,
    ]
    received = await read_stream(f"{gateway}/ticks/1.0.0/split", harness.bearer("client-2"))
    assert received.events == ["a", "b", "c"]
    assert received.ended_cleanly


async def test_stream_is_refused_once_its_bandwidth_is_spent(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """OneKilobyte: the stream that crosses the kilobyte is sent whole, the next one refused."""
    sse_backend.scripts["bytes"] = [_event("x" * 700), _event("y" * 700)]
    url = f"{gateway}/ticks/1.0.0/bytes"
    received = await read_stream(url, harness.bearer("client-3"))
    assert received.events == ["x" * 700, "y" * 700]
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.get(url, headers=harness.bearer("client-3"))
    assert refused.status_code == 429
    assert refused.json()["code"] == "900804"


async def test_quiet_stream_is_not_cut_by_the_read_timeout(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """The backend read timeout is 0.3 s here; the stream is quiet for 1 s between its events."""
    sse_backend.scripts["quiet"] = [_event("before"), 1.0, _event("after")]
    received = await read_stream(f"{gateway}/ticks/1.0.0/quiet", harness.bearer())
    assert received.events == ["before", "after"]
    assert received.ended_cleanly


async def test_quiet_stream_ends_after_the_apis_idle_timeout(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    """An endpoint's ``actionDuration`` is the longest silence its API's streams may keep."""
    sse_backend.scripts["idle"] = [_event("only"), HOLD]
    received = await read_stream(f"{gateway}/idle/1.0.0/open/idle", {})
    assert received.events == ["only"]
    assert received.ended_cleanly
    await asyncio.wait_for(sse_backend.closed_by_gateway.wait(), 5)


async def test_client_leaving_closes_the_backend_stream(
    harness: Harness, gateway: str, sse_backend: SseBackend
) -> None:
    sse_backend.scripts["leave"] = [_event("hello"), HOLD]
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", f"{gateway}/ticks/1.0.0/leave", headers=harness.bearer()) as response,
    ):
        async for chunk in response.aiter_raw():
            assert b"data: hello" in chunk
            break
    await asyncio.wait_for(sse_backend.closed_by_gateway.wait(), 5)


async def test_sse_through_granian_streams_each_event(tmp_path: Path, sse_backend: SseBackend) -> None:
    """The gateway process under granian, serving from its snapshot cache (no control plane)."""
    sse_backend.scripts["granian"] = [_event("one"), RELEASE, 0.05, _event("two")]
    async with granian_gateway(tmp_path, ticks_snapshot(sse_backend.port, 9)) as port:
        received = await read_stream(
            f"http://127.0.0.1:{port}/ticks/1.0.0/open/granian",
            {},
            on_event=lambda _: sse_backend.release.set(),
        )
    assert received.events == ["one", "two"]
    latencies = [(at - written) * 1000 for at, written in zip(received.at, sse_backend.written, strict=True)]
    print(f"granian: event latency {', '.join(f'{ms:.1f}' for ms in latencies)} ms")
    assert max(latencies) < LATENCY_BOUND * 1000
