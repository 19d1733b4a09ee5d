# ruff: noqa: S603  (a benchmark starts the process it measures against)
"""WebSub fan-out: 8 KiB events delivered to 1,000 local subscribers by the gateway's hub, beside
the same POSTs sent by a plain httpx client in the same run.

The callbacks are one small HTTP/1.1 server in a process of its own (1,000 paths, each answered
204 and counted). The gateway runs in this process from a snapshot cache file (a WEBSUB API whose
provider signs with SHA256, one application subscribed on a tier without an event limit), with
``--subscribers`` subscribers registered on one topic, each with a ``hub.secret`` (so every
delivery is signed). A provider posts ``--events`` events through the gateway's ASGI app (checked
against the API's signature, answered 202); the time runs from the first post until the hub's
delivery queue is empty. Printed: deliveries per second, failed attempts (the goal is zero), the
callback server's count and this process's CPU per delivery, then the reference: the same number
of POSTs of the same body to the same 1,000 URLs, each signed the same way, by a plain
``httpx.AsyncClient`` with as many in flight as the hub's workers (``--concurrency``, the default
setting's 64) and, as the hub's client, as many connections kept alive.

    uv run python benchmarks/bench_websub.py [--events N] [--subscribers N] [--concurrency N]

Figures are noisy on a shared 2-core machine: compare the rows of one run, and read the load
average printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from apim_common.events.webhooks import SECRET_PURPOSE  # noqa: E402
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox  # noqa: E402
from apim_gateway.app import Gateway  # noqa: E402
from apim_gateway.settings import Settings  # noqa: E402
from apim_gateway.websub.registry import Subscriber  # noqa: E402

TENANT = "carbon.super"
API_ID = "api-bench-hooks"
APP_ID = "app-bench"
PROVIDER_SECRET = "bench-provider-secret"
SUBSCRIBER_SECRET = b"bench-subscriber-secret"
EVENT_BYTES = 8 * 1024
NOWHERE = "http://127.0.0.1:9"


# -- the callback server (its own process) --------------------------------------------------------


class _Callbacks(asyncio.Protocol):
    """HTTP/1.1 keep-alive: every POST answered 204 and counted; ``GET /count`` answers the count."""

    count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if head.startswith("GET /count"):
                body = str(_Callbacks.count).encode()
                self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            else:
                _Callbacks.count += 1
                self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")


async def _serve_callbacks(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Callbacks, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the gateway ----------------------------------------------------------------------------------


def _snapshot(sealed_secret: str) -> dict[str, Any]:
    api = {
        "id": API_ID,
        "name": "BenchHooks",
        "context": "/benchhooks",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "WEBSUB",
        "tenant": TENANT,
        "revisionId": "rev-bench-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "policies": ["AsyncWHUnlimited"],
        "websubSubscriptionConfiguration": {
            "enable": True,
            "secret": sealed_secret,
            "signingAlgorithm": "SHA256",
            "signatureHeader": "X-Hub-Signature",
        },
        "operations": [{"verb": "SUBSCRIBE", "target": "/orders", "authType": "Any"}],
    }
    return {
        "publisher": {"environment": "Default", "artifacts": [api], "gatewayPolicies": []},
        "devportal": {
            "applications": [
                {"applicationId": APP_ID, "name": "Bench", "owner": "bench", "throttlingPolicy": "Unlimited"}
            ],
            "subscriptions": [
                {
                    "subscriptionId": "sub-bench",
                    "applicationId": APP_ID,
                    "apiId": API_ID,
                    "throttlingPolicy": "AsyncWHUnlimited",
                    "status": "UNBLOCKED",
                }
            ],
            "keyMappings": [],
        },
        "admin": {
            "throttlePolicies": {
                "application": [{"policyName": "Unlimited", "defaultLimit": None, "tenant": TENANT}],
                "subscription": [{"policyName": "AsyncWHUnlimited", "defaultLimit": None, "tenant": TENANT}],
                "advanced": [],
                "custom": [],
            },
            "denyPolicies": [],
            "keyManagers": [],
            "environments": [{"name": "Default", "tenant": TENANT}],
        },
    }


def _signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


async def _count(client: httpx.AsyncClient, port: int) -> int:
    return int((await client.get(f"http://127.0.0.1:{port}/count")).text)


async def _through_hub(args: argparse.Namespace, port: int, tmp: Path) -> tuple[float, float, int, int]:
    """Seconds (wall, then this process's CPU) for every delivery, failed attempts, and what the
    callbacks counted."""
    cache = tmp / "snapshot.json"
    base = Settings(mode="development")
    sealed = SecretBox(base.secret(), ENDPOINT_SECRETS).seal(PROVIDER_SECRET)
    cache.write_text(json.dumps(_snapshot(sealed)))
    settings = Settings(
        mode="development",
        log_level="ERROR",
        gateway_snapshot_cache=cache,
        gateway_snapshot_wait=0,
        gateway_snapshot_retry=60,
        gateway_analytics_enabled=False,
        gateway_websub_concurrency=args.concurrency,
        outbound_allow="127.0.0.1/32",
        publisher_url=NOWHERE,
        devportal_url=NOWHERE,
        admin_url=NOWHERE,
        key_manager_url=NOWHERE,
    )
    gateway = Gateway(settings)
    box = SecretBox(settings.secret(), SECRET_PURPOSE)
    sealed_subscriber = box.seal(SUBSCRIBER_SECRET.decode())
    async with gateway.lifespan():
        now = datetime.now(UTC)
        for n in range(args.subscribers):
            gateway.websub.registry.put(
                Subscriber(
                    id=f"bench-{n}",
                    tenant=TENANT,
                    api_id=API_ID,
                    application_id=APP_ID,
                    topic="/orders",
                    callback=f"http://127.0.0.1:{port}/cb/{n}",
                    subscribed_at=now,
                    lease_seconds=3600,
                    expires_at=time.time() + 3600,
                    sealed_secret=sealed_subscriber,
                    secret=SUBSCRIBER_SECRET,
                )
            )
        body = os.urandom(EVENT_BYTES // 2).hex().encode()
        headers = {
            "content-type": "application/json",
            "x-hub-signature": _signature(PROVIDER_SECRET.encode(), body),
        }
        transport = httpx.ASGITransport(app=gateway)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://localhost") as provider,
            httpx.AsyncClient() as plain,
        ):
            before = await _count(plain, port)
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.events):
                answer = await provider.post(
                    "/benchhooks/1.0.0/webhooks_events_receiver_resource",
                    params={"topic": "orders"},
                    content=body,
                    headers=headers,
                )
                assert answer.status_code == 202, answer.text
            await gateway.websub.deliverer.idle()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            counted = await _count(plain, port) - before
        stats = gateway.websub.deliverer.stats
        return seconds, cpu, stats.failed, counted


async def _direct(args: argparse.Namespace, port: int) -> tuple[float, float, int, int]:
    """The same POSTs by a plain httpx client, ``--concurrency`` in flight."""
    body = os.urandom(EVENT_BYTES // 2).hex().encode()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(args.events):
        for n in range(args.subscribers):
            queue.put_nowait(f"http://127.0.0.1:{port}/cb/{n}")
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            url = queue.get_nowait()
            headers = {
                "content-type": "application/json",
                "x-hub-signature": _signature(SUBSCRIBER_SECRET, body),
            }
            try:
                response = await client.post(url, content=body, headers=headers)
                if not 200 <= response.status_code < 300:
                    errors += 1
            except httpx.HTTPError:
                errors += 1

    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        before = await _count(client, port)
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(client) for _ in range(args.concurrency)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        counted = await _count(client, port) - before
    return seconds, cpu, errors, counted


async def _measure(args: argparse.Namespace, port: int) -> None:
    deliveries = args.events * args.subscribers
    async with httpx.AsyncClient() as client:  # the callback process imports for a while first
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                await _count(client, port)
                break
            if time.monotonic() > deadline:
                raise SystemExit("the callback server did not start")
            await asyncio.sleep(0.1)
    with tempfile.TemporaryDirectory() as tmp:
        hub_seconds, hub_cpu, hub_failed, hub_counted = await _through_hub(args, port, Path(tmp))
    direct_seconds, direct_cpu, direct_errors, direct_counted = await _direct(args, port)
    hub_rate, direct_rate = deliveries / hub_seconds, deliveries / direct_seconds
    print(
        f"WebSub fan-out, {args.events} events of {EVENT_BYTES // 1024} KiB to {args.subscribers} "
        f"subscribers ({deliveries} deliveries, {args.concurrency} in flight), load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"  through the hub: {hub_rate:8.0f} deliveries/s  ({hub_seconds:.2f} s, "
        f"failed attempts {hub_failed}, callbacks counted {hub_counted})"
    )
    print(
        f"  plain httpx:     {direct_rate:8.0f} POSTs/s       ({direct_seconds:.2f} s, "
        f"errors {direct_errors}, callbacks counted {direct_counted})"
    )
    print(
        f"  CPU of this process per delivery: hub {hub_cpu / deliveries * 1e6:.0f} us, "
        f"plain httpx {direct_cpu / deliveries * 1e6:.0f} us (steadier than the rates on a shared machine)"
    )
    print(f"  hub / plain (deliveries per second): {hub_rate / direct_rate:.2f}")
    if hub_failed or hub_counted != deliveries:
        raise SystemExit(
            f"the hub lost deliveries: {hub_failed} failed, {hub_counted} of {deliveries} counted"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--callbacks", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callbacks:
        asyncio.run(_serve_callbacks(args.callbacks))
        return
    # The control plane is absent on purpose: its retries are not news here.
    logging.getLogger("apim_gateway").setLevel(logging.ERROR)
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--callbacks", str(port)])
    try:
        asyncio.run(_measure(args, port))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
