# ruff: noqa: S603  (a benchmark starts the processes it measures)
"""WebSocket APIs: 1 KiB frames per second through one gateway process, beside a direct connection
to the same backend in the same run.

The backend (a ``websockets`` echo server) and the gateway (``python -m apim_gateway``, granian
unless ``--server uvicorn``, serving a WS API from a snapshot cache file, its topic open) each run
in a process of their own; the client is this process. Printed, for the direct connection and
through the gateway: frames per second relayed (each message and its echo are two frames for the
gateway) with ``--window`` messages in flight, and the round-trip latency of one message at a time
(p50, p99), whose difference is what the gateway adds. Then, in the same run:

- the latency added at half the gateway's measured frame rate: messages sent on a fixed schedule
  (open loop) at a quarter of that rate in messages per second, the p99 of their round trips
  through the gateway beside the direct connection at the same rate (goal: under 5 ms added);
- ``--idle`` idle connections (5,000 by default) held open through one gateway process, with the
  resident memory of its process tree before and after, beside the same number held directly by
  the backend process. The open-files limit of this process is raised to its hard limit when it
  is lower than the connections need (children inherit it), and the bench says so;
- a bare ASGI echo app under granian (no gateway, no backend; ``--no-bare`` skips it): the ceiling
  granian's ASGI WebSocket itself sets on this machine, in frames per second, CPU per frame and
  memory per idle connection, beside the relay's figures.

    uv run python benchmarks/bench_websocket.py [--messages N] [--window N] [--idle N] [--no-bare]
        [--server granian|uvicorn]

Figures are noisy on a shared 2-core machine: compare the rows of one run, and read ``uptime``'s
load beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from granian.constants import Interfaces, Loops
from granian.server import Server
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


async def _paced(url: str, messages_per_second: float, seconds: float) -> tuple[float, float]:
    """p50 and p99 round trip (ms) of messages sent on a fixed schedule, open loop: each message's time
    is counted from when it was due, so a late send counts against the path that made it late."""
    count = max(int(messages_per_second * seconds), 200)
    due = [0.0] * count
    async with connect(url, compression=None, max_size=None) as ws:
        await _round_trips(ws, 100)
        start = time.perf_counter()
        for n in range(count):
            due[n] = start + n / messages_per_second

        async def send_all() -> None:
            for n in range(count):
                wait = due[n] - time.perf_counter()
                if wait > 0.0005:
                    await asyncio.sleep(wait)
                await ws.send(PAYLOAD)

        sender = asyncio.create_task(send_all())
        times = []
        for n in range(count):
            await ws.recv()
            times.append(time.perf_counter() - due[n])
        await sender
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (granian serves in a child process)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(child) for child in children]
    return total


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its descendants."""
    total, pending = 0.0, [pid]
    ticks = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return total


async def _hold(url: str, count: int, pid: int) -> tuple[int, int, float, float]:
    """Opens ``count`` connections, 200 at a time, and holds them: the RSS of ``pid``'s tree
    before and once all are open, the seconds opening took, and the CPU share ``pid``'s tree
    spends over 3 s while they sit idle. The last one opened must still relay a frame."""
    await asyncio.sleep(0.5)
    before = _tree_rss(pid)
    async with contextlib.AsyncExitStack() as stack:
        start = time.perf_counter()
        held: list[ClientConnection] = []
        for first in range(0, count, 200):
            batch = [
                connect(url, compression=None, ping_interval=None, open_timeout=120)
                for _ in range(first, min(first + 200, count))
            ]
            held += await asyncio.gather(*(stack.enter_async_context(c) for c in batch))
        took = time.perf_counter() - start
        await asyncio.sleep(1.0)
        after = _tree_rss(pid)
        cpu = _cpu_seconds(pid)
        await asyncio.sleep(3.0)
        idle_cpu = (_cpu_seconds(pid) - cpu) / 3.0
        await held[-1].send(PAYLOAD)
        assert await held[-1].recv() == PAYLOAD
    return before, after, took, idle_cpu


def _raise_open_files(needed: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return f"open files limit {soft} (enough)"
    raised = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
    resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
    note = "" if raised >= needed else f", below the {needed} needed: expect failures"
    return f"open files limit raised from {soft} to {raised} for this process and its children{note}"


async def _bare_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that only echoes WebSocket messages: granian's ceiling with no relay."""
    if scope["type"] != "websocket":
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            if message.get("bytes") is not None:
                await send({"type": "websocket.send", "bytes": message["bytes"]})
            else:
                await send({"type": "websocket.send", "text": message.get("text") or ""})
        else:
            return


def _serve_bare(port: int) -> None:
    Server(
        "bench_websocket:_bare_echo",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        loop=Loops.uvloop,
        working_dir=Path(__file__).parent,
    ).serve()


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
    args: argparse.Namespace,
    ws_port: int,
    gw_port: int,
    gateway: subprocess.Popen[bytes],
    backend: subprocess.Popen[bytes],
    bare: subprocess.Popen[bytes] | None,
    bare_port: int | None,
) -> None:
    await _wait_healthy(gw_port, gateway)
    if bare_port is not None:
        await _wait_ready(bare_port)
    await asyncio.sleep(0.5)
    direct, through = f"ws://127.0.0.1:{ws_port}/echo", f"ws://127.0.0.1:{gw_port}/bench/1.0.0/echo"
    rows = [("direct", direct, backend.pid), (f"gateway ({args.server})", through, gateway.pid)]
    if bare is not None and bare_port is not None:
        rows.append(("bare granian echo", f"ws://127.0.0.1:{bare_port}/echo", bare.pid))
    print(f"1 KiB frames, {args.messages} messages, window {args.window}; {_load()}")
    # CPU: of the process serving the row (the backend for direct, the gateway alone, the bare
    # echo), per frame it relayed; a figure near 1e6 / frames/s means that process was CPU-bound.
    print(f"{'path':<20} {'frames/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/frame':>13}")
    rates: dict[str, float] = {}
    for name, url, pid in rows:
        cpu = _cpu_seconds(pid)
        rates[name] = rate = await _throughput(url, args.messages, args.window)
        per_frame = (_cpu_seconds(pid) - cpu) / (2 * (args.messages + 100)) * 1e6
        p50, p99 = await _latency(url, args.round_trips)
        print(f"{name:<20} {rate:>10,.0f} {p50:>8.3f} {p99:>8.3f} {per_frame:>13.1f}")
    half = rates[rows[1][0]] / 2
    per_second = half / 2  # a message and its echo are two frames
    direct_p50, direct_p99 = await _paced(direct, per_second, args.paced_seconds)
    gateway_p50, gateway_p99 = await _paced(through, per_second, args.paced_seconds)
    print(
        f"at half the gateway's rate ({half:,.0f} frames/s, {per_second:,.0f} messages/s, open loop, "
        f"{args.paced_seconds:.0f} s): p50/p99 direct {direct_p50:.3f}/{direct_p99:.3f} ms, through "
        f"the gateway {gateway_p50:.3f}/{gateway_p99:.3f} ms, added p99 {gateway_p99 - direct_p99:.3f} ms "
        f"(goal < 5); {_load()}"
    )
    if args.idle:
        print(f"{args.idle:,} idle connections held, RSS of the process tree that holds them; {_load()}")
        columns = ("RSS before", 11), ("RSS after", 10), ("per conn", 9), ("open s", 7), ("idle CPU", 9)
        print(f"{'held by':<20} " + " ".join(f"{title:>{width}}" for title, width in columns))
        holders = [("backend, direct", direct, backend.pid), ("gateway", through, gateway.pid)]
        if bare is not None and bare_port is not None:
            holders.append(("bare granian echo", f"ws://127.0.0.1:{bare_port}/echo", bare.pid))
        for name, url, pid in holders:
            before, after, took, cpu = await _hold(url, args.idle, pid)
            per = (after - before) / args.idle
            print(
                f"{name:<20} {before / 2**20:>9.1f} M {after / 2**20:>8.1f} M {per / 1024:>7.1f} K "
                f"{took:>7.1f} {cpu * 100:>8.1f}%"
            )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} (uptime 1 / 5 min) on {os.cpu_count()} cores"


async def _wait_ready(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit("the bare echo did not start")


def _run(args: argparse.Namespace) -> None:
    # The gateway holds two sockets per idle connection, the backend one each (both tests at once
    # at worst), the client one each; with room for the rest.
    print(_raise_open_files(2 * args.idle + 1024))
    ws_port, gw_port = _free_port(), _free_port()
    backend = subprocess.Popen([sys.executable, __file__, "--backend", str(ws_port)])
    bare_port = _free_port() if args.bare else None
    bare = (
        subprocess.Popen([sys.executable, __file__, "--bare-echo", str(bare_port)])
        if bare_port is not None
        else None
    )
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
            asyncio.run(_measure(args, ws_port, gw_port, gateway, backend, bare, bare_port))
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(timeout=20)
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
    parser.add_argument("--paced-seconds", type=float, default=5.0)
    parser.add_argument("--idle", type=int, default=5_000, help="idle connections to hold (0: skip)")
    parser.add_argument(
        "--bare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure a bare granian ASGI echo (default; --no-bare skips it)",
    )
    parser.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bare-echo", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend is not None:
        asyncio.run(_backend(args.backend))
    elif args.bare_echo is not None:
        _serve_bare(args.bare_echo)
    else:
        _run(args)


if __name__ == "__main__":
    main()
