# ruff: noqa: S603  (a benchmark starts the processes it measures)
"""WebSocket APIs: 1 KiB frames per second through one gateway process, beside a direct connection
to the same backend in the same run.

The backend (a ``websockets`` echo server) and the gateway (``python -m apim_gateway``, granian
unless ``--server uvicorn``, serving a WS API from a snapshot cache file, its topic open) each run
in a process of their own; the client is this process. Printed, for the direct connection and
through the gateway: frames per second relayed (each message and its echo are two frames for the
gateway) with ``--window`` messages in flight, and the round-trip latency of one message at a time
(p50, p99), whose difference is what the gateway adds.

    uv run python benchmarks/bench_websocket.py [--messages N] [--window N] [--server granian|uvicorn]

Figures are noisy on a shared 2-core machine: compare the rows of one run, and read ``uptime``'s
load beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve

PAYLOAD = b"x" * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def _backend(port: int) -> None:
    async with serve(_echo, "127.0.0.1", port, compression=None, max_size=None):
        await asyncio.Future()


def _snapshot(ws_port: int) -> dict[str, Any]:
    api = {
        "id": "api-bench-ws",
        "name": "BenchWs",
        "context": "/bench",
        "version": "1.0.0",
        "lifeCycleStatus": "PUBLISHED",
        "type": "WS",
        "tenant": "carbon.super",
        "revisionId": "rev-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2"],
        "endpointConfig": {
            "endpoint_type": "ws",
            "production_endpoints": {"url": f"ws://127.0.0.1:{ws_port}"},
        },
        "operations": [{"verb": "SUBSCRIBE", "target": "/echo", "authType": "None"}],
    }
    return {
        "publisher": {"environment": "Default", "artifacts": [api], "gatewayPolicies": []},
        "devportal": {"applications": [], "subscriptions": [], "keyMappings": []},
        "admin": {"throttlePolicies": {}, "denyPolicies": [], "keyManagers": [], "environments": []},
    }


async def _throughput(url: str, messages: int, window: int) -> float:
    """Frames per second: each message out and its echo back."""
    async with connect(url, compression=None, max_size=None) as ws:
        await _round_trips(ws, 100)
        credit = asyncio.Semaphore(window)

        async def send_all() -> None:
            for _ in range(messages):
                await credit.acquire()
                await ws.send(PAYLOAD)

        start = time.perf_counter()
        sender = asyncio.create_task(send_all())
        for _ in range(messages):
            await ws.recv()
            credit.release()
        await sender
        return 2 * messages / (time.perf_counter() - start)


async def _round_trips(ws: ClientConnection, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await ws.send(PAYLOAD)
        await ws.recv()
        times.append(time.perf_counter() - start)
    return times


async def _latency(url: str, n: int) -> tuple[float, float]:
    async with connect(url, compression=None, max_size=None) as ws:
        await _round_trips(ws, 100)
        times = sorted(await _round_trips(ws, n))
    return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000


async def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit("the gateway exited")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the gateway did not start")


async def _measure(
    args: argparse.Namespace, ws_port: int, gw_port: int, gateway: subprocess.Popen[bytes]
) -> None:
    await _wait_healthy(gw_port, gateway)
    await asyncio.sleep(0.5)
    rows = (
        ("direct", f"ws://127.0.0.1:{ws_port}/echo"),
        (f"gateway ({args.server})", f"ws://127.0.0.1:{gw_port}/bench/1.0.0/echo"),
    )
    print(f"1 KiB frames, {args.messages} messages, window {args.window}; load {os.getloadavg()[0]:.1f}")
    print(f"{'path':<20} {'frames/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, url in rows:
        rate = await _throughput(url, args.messages, args.window)
        p50, p99 = await _latency(url, args.round_trips)
        print(f"{name:<20} {rate:>10,.0f} {p50:>8.3f} {p99:>8.3f}")


def _run(args: argparse.Namespace) -> None:
    ws_port, gw_port = _free_port(), _free_port()
    backend = subprocess.Popen([sys.executable, __file__, "--backend", str(ws_port)])
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "snapshot.json"
        cache.write_text(json.dumps(_snapshot(ws_port)))
        nowhere = "http://127.0.0.1:9"
        env = {
            **os.environ,
            "APIM_MODE": "development",
            "APIM_PORT": str(gw_port),
            "APIM_GATEWAY_SERVER": args.server,
            "APIM_GATEWAY_SNAPSHOT_CACHE": str(cache),
            "APIM_GATEWAY_SNAPSHOT_WAIT": "0",
            "APIM_GATEWAY_ANALYTICS_ENABLED": "false",
            "APIM_LOG_LEVEL": "ERROR",
            **{f"APIM_{p}_URL": nowhere for p in ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")},
        }
        gateway = subprocess.Popen([sys.executable, "-m", "apim_gateway"], env=env)
        try:
            asyncio.run(_measure(args, ws_port, gw_port, gateway))
        finally:
            gateway.terminate()
            gateway.wait(timeout=20)
            backend.terminate()
            backend.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--round-trips", type=int, default=2_000)
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    parser.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend is not None:
        asyncio.run(_backend(args.backend))
    else:
        _run(args)


if __name__ == "__main__":
    main()
