# ruff: noqa: S603, S607  (a benchmark runs itself under valgrind, gcc and git)
"""The gateway's full chain counted in machine instructions per request, under callgrind.

CPU seconds move with the machine's load; the instructions a request executes do not. This bench
drives the gateway's ASGI app in-process with the full chain of ``bench_gateway.py`` (route, JWT
cached after the first verification, subscription, a counted rate limit, one addHeader policy, the
backend call through the upstream client, a 1 KiB answer, metrics, one analytics event published
by the drain) and counts what the process executes for N requests under
``valgrind --tool=callgrind``. The backend is an in-memory transport in place of the event loop's
``create_connection``: it answers each request head with nginx's 1 KiB response, so what is counted
is the gateway's own work (the upstream client's parsing included), not a backend's or a kernel's.

Instrumentation starts after the warm-up (a tiny C helper, built with gcc from valgrind's
``callgrind.h``, issues the client requests), so imports and startup are not counted. Each
revision runs in its own process with its own gateway, ``apim_common`` and test harness first on
the path, so the same script measures old commits: ``--revisions`` checks each out into
``/tmp/bisect_<hash>`` (kept for reuse) and prints one line per revision.

Beside the count it prints CPU microseconds per request (``time.process_time``, best of
``--rounds`` native rounds) for reference. ``--profile`` keeps the callgrind file and prints the
inclusive instructions of the gateway's heaviest Python functions (Python 3.12's perf-map
trampolines are not needed: callgrind attributes to the C functions of the interpreter, so the
per-stage view comes from ``--stages``, the chain's own coroutines timed with ``sys.monitoring``).

    uv run python benchmarks/bench_chain_instructions.py [--requests N] [--rounds R]
        [--revisions REV,REV,...] [--analytics on|off] [--no-callgrind]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import email.utils
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 200
BACKEND_PORT = 18_999  # never opened: the in-memory transport answers for it
ONE_KIB = b'{"data": "' + b"x" * (1024 - 12) + b'"}'
_HELPER_C = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT("measured"); }
"""


def callgrind_helper() -> Path:
    """The shared object whose two calls start and stop callgrind's count (no-ops outside it)."""
    target = Path(tempfile.gettempdir()) / "apim_callgrind_helper.so"
    if not target.exists():
        source = target.with_suffix(".c")
        source.write_text(_HELPER_C)
        subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(target), str(source)], check=True)
    return target


# -- the in-memory backend --------------------------------------------------------------------------


def _response() -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
        f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(ONE_KIB)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + ONE_KIB


class MemoryTransport(asyncio.Transport):
    """A kept-alive connection to a backend that answers every request head with 1 KiB of JSON."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._pending = b""
        self._closing = False
        self._answer = _response()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._pending += bytes(data)
        if b"\r\n\r\n" in self._pending:  # a GET's head: the bench sends no request body
            self._pending = b""
            self._loop.call_soon(self._protocol.data_received, self._answer)  # type: ignore[attr-defined]

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", BACKEND_PORT), "sockname": ("127.0.0.1", 40000)}.get(name, default)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0, 0)

    def is_reading(self) -> bool:
        return True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def install_memory_backend(loop: asyncio.AbstractEventLoop) -> None:
    real = loop.create_connection

    async def create_connection(factory: Any, host: Any = None, port: Any = None, **kw: Any) -> Any:
        if port != BACKEND_PORT:
            return await real(factory, host, port, **kw)
        protocol = factory()
        transport = MemoryTransport(loop, protocol)
        protocol.connection_made(transport)
        return transport, protocol

    loop.create_connection = create_connection  # type: ignore[method-assign]


# -- one process: the chain of the revision first on the path ----------------------------------------


def chain_snapshot(base_snapshot: Any) -> dict[str, Any]:
    snapshot: dict[str, Any] = base_snapshot(BACKEND_PORT)
    api = snapshot["publisher"]["artifacts"][0]
    api["apiPolicies"] = {
        "request": [
            {
                "policyName": "addHeader",
                "policyVersion": "v1",
                "parameters": {"headerName": "X-Bench", "headerValue": "1"},
            }
        ],
        "response": [],
        "fault": [],
    }
    for tier in snapshot["admin"]["throttlePolicies"]["subscription"]:
        tier["defaultLimit"]["requestCount"]["requestCount"] = 10**9
    return snapshot


async def call_chain(gateway: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """One GET through ``gateway``'s ASGI app, as a server would hand it over; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/pets/1.0.0/json", "raw_path": b"/pets/1.0.0/json",
        "root_path": "", "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8280), "state": {},
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await gateway(scope, receive, send)
    return status


async def wait_for_analytics(gateway: Any, before: int, requests: int, analytics: bool) -> None:
    """The drain's share counts too: wait until it published every event of the round."""
    if not analytics:
        return
    queue = getattr(gateway, "analytics", None)
    deadline = time.monotonic() + 30
    if queue is None or not hasattr(queue, "published"):
        await asyncio.sleep(0.5)  # an older gateway: give its drain time
        return
    while queue.published < before + requests:
        if time.monotonic() > deadline:
            raise SystemExit("the analytics drain did not publish every event")
        await asyncio.sleep(0.01)


async def measure(
    requests: int,
    rounds: int,
    analytics: bool,
    counted: bool,
    profile: bool = False,
    call: Callable[[Any, list[tuple[bytes, bytes]]], Awaitable[int]] = call_chain,
    snapshot: Callable[[Any], dict[str, Any]] = chain_snapshot,
) -> list[float]:
    """CPU seconds per request of each round (one round when ``counted``: callgrind counts it).

    ``call`` and ``snapshot`` let another bench count its own request on this chain's gateway."""
    from apim_gateway.settings import Settings
    from tests.gateway.conftest import FakeControlPlane, RunningGateway, base_snapshot
    from tests.support.tokens import TokenFactory

    install_memory_backend(asyncio.get_running_loop())
    helper = ctypes.CDLL(str(callgrind_helper())) if counted else None
    fields = getattr(Settings, "model_fields", {})
    wanted = {"gateway_analytics_enabled": analytics, "gateway_tracing": False}
    overrides = {key: value for key, value in wanted.items() if key in fields}
    tokens = TokenFactory()
    per_round: list[float] = []
    for _ in range(1 if counted else rounds):
        with tempfile.TemporaryDirectory() as tmp:
            control_plane = FakeControlPlane(tokens, snapshot(base_snapshot))
            async with RunningGateway(Path(tmp), control_plane, overrides) as (gateway, _bus):
                try:
                    token = tokens.mint("alice", "", client_id="client-1")
                except TypeError:
                    token = tokens.mint("alice", client_id="client-1")
                headers = [
                    (b"host", b"localhost"),
                    (b"user-agent", b"wrk"),
                    (b"authorization", f"Bearer {token}".encode()),
                    (b"accept", b"application/json"),
                ]
                for _ in range(WARM_UP):
                    status = await call(gateway, headers)
                    if status != 200:
                        raise SystemExit(f"the chain answered {status}, not 200")
                await wait_for_analytics(gateway, 0, 0, analytics)
                queue = getattr(gateway, "analytics", None)
                published = getattr(queue, "published", 0)
                ok = 0
                if helper is not None:
                    helper.cg_start()
                profiler = cProfile.Profile() if profile else None
                if profiler is not None:
                    profiler.enable()
                cpu = time.process_time()
                for _ in range(requests):
                    ok += await call(gateway, headers) == 200
                await wait_for_analytics(gateway, published, requests, analytics)
                per_round.append((time.process_time() - cpu) / requests)
                if profiler is not None:
                    profiler.disable()
                    stats = pstats.Stats(profiler, stream=sys.stderr)
                    stats.sort_stats("cumulative").print_stats(60)
                    stats.sort_stats("tottime").print_stats(40)
                if helper is not None:
                    helper.cg_stop()
                if ok != requests:
                    raise SystemExit(f"{requests - ok} of {requests} calls were not answered 200")
    return per_round


# -- the driver: one process per revision, under callgrind and natively ------------------------------


def tree_env(tree: Path) -> dict[str, str]:
    paths = os.pathsep.join(str(tree / part) for part in ("", "services/gateway", "libs/apim_common"))
    return {**os.environ, "PYTHONPATH": paths, "APIM_LOG_LEVEL": "ERROR", "OTEL_SDK_DISABLED": "true"}


def _inner(requests: int, rounds: int, analytics: bool, counted: bool) -> list[str]:
    args = [str(Path(__file__).resolve()), "--measure", str(requests), str(rounds)]
    return args + (["--measure-analytics"] if analytics else []) + (["--measure-counted"] if counted else [])


def instructions(
    tree: Path, requests: int, analytics: bool, out: Path, inner: list[str] | None = None
) -> float:
    """Instructions per request of ``tree``'s chain, counted by callgrind; ``inner``: the
    arguments of another script whose process runs ``measure`` with ``counted`` on its own call."""
    callgrind_helper()
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
        sys.executable, *(inner or _inner(requests, 1, analytics, counted=True)),
    ]  # fmt: skip
    subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, text=True, check=True)
    dumps = sorted(out.parent.glob(out.name + "*"))
    total = 0
    for dump in dumps:
        text = dump.read_text(errors="replace")
        if "Trigger: Client Request: measured" in text:
            match = re.search(r"^totals:\s+(\d+)", text, re.M)
            if match:
                total = max(total, int(match.group(1)))
    if not total:
        raise SystemExit(f"no measured dump among {[d.name for d in dumps]}")
    return total / requests


def cpu_us(tree: Path, requests: int, rounds: int, analytics: bool) -> float:
    done = subprocess.run(
        [sys.executable, *_inner(requests, rounds, analytics, counted=False)],
        cwd=tree,
        env=tree_env(tree),
        capture_output=True,
        text=True,
        check=True,
    )
    return min(float(value) for value in done.stdout.split()) * 1e6


def worktree(revision: str) -> Path:
    if revision in ("", "."):
        return ROOT
    if Path(revision).is_dir():  # a checkout prepared by hand (a change not yet committed)
        return Path(revision)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=7", revision],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"bisect_{commit}"
    if not tree.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), commit], check=True
        )
    return tree


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--revisions",
        default=".",
        help="comma-separated git revisions or checkout directories; '.' is this tree",
    )
    parser.add_argument("--analytics", choices=("on", "off"), default="on")
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--no-cpu", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this directory")
    parser.add_argument("--measure", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure-analytics", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure-counted", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", action="store_true", help="one round of this tree under cProfile: the chain's stages"
    )
    args = parser.parse_args()
    if args.measure:
        values = asyncio.run(measure(*args.measure, args.measure_analytics, args.measure_counted))
        print(*values)
        return
    if args.profile:
        asyncio.run(measure(args.requests, 1, args.analytics == "on", counted=False, profile=True))
        return
    analytics = args.analytics == "on"
    print(
        f"gateway chain in-process, analytics {args.analytics}, {args.requests} requests, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    keep = args.keep or Path(tempfile.mkdtemp(prefix="bench-instr-"))
    keep.mkdir(parents=True, exist_ok=True)
    for revision in args.revisions.split(","):
        tree = worktree(revision)
        name = "this tree" if tree == ROOT else revision.rstrip("/").rsplit("/", 1)[-1]
        line = f"  {name:<12}"
        try:
            if not args.no_callgrind:
                out = keep / f"callgrind.{name.replace(' ', '_')}.out"
                line += f" {instructions(tree, args.requests, analytics, out):>12,.0f} instructions/request"
            if not args.no_cpu:
                line += f"  {cpu_us(tree, args.requests, args.rounds, analytics):6.1f} us CPU/request (best)"
        except subprocess.CalledProcessError as exc:
            line += f" failed: {(exc.stderr or '').strip().splitlines()[-1:]}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
