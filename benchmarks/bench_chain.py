# ruff: noqa: S603, S607  (a benchmark runs itself under each revision it compares)
"""The gateway's request chain driven in-process: CPU per request, this tree against a baseline.

No HTTP server and no load generator share the machine with the measured code, so the figure
moves far less with the machine's load than ``bench_gateway.py``'s: it is the one to read when a
change must not make the plain chain dearer. Each revision runs in its own process, with its own
gateway, ``apim_common`` and test harness first on the path; the runs alternate, so a change in
the machine's load falls on both.

The chain: route, JWT (cached after the first verification), subscription, a counted rate limit,
the backend call through the upstream client to a real local backend, metrics; analytics off,
or with ``--analytics on`` (or ``both``) the request's record queued and WSO2's event built and
published by the drain, whose CPU counts in the round (the round ends once every event is out).

    uv run python benchmarks/bench_chain.py [--baseline REV|none] [--requests N] [--rounds R]
        [--analytics off|on|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Calls before a round is measured; with the round's own they stay under the test tier's 5,000
# a minute, so no call is refused.
WARM_UP = 500


async def call_chain(gateway: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """One GET through ``gateway``'s ASGI app, as a server would hand it over; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/pets/1.0.0/echo/1", "raw_path": b"/pets/1.0.0/echo/1", "root_path": "", "query_string": b"",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("localhost", 8280),
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


async def measure(requests: int, rounds: int, analytics: bool = False) -> list[float]:
    """CPU seconds per request of each round, in the revision this process was started for.

    Each round has a gateway of its own, so its counters start empty: the chain must answer 200
    to every call, or the round would measure the cheaper refusal of a rate limit."""
    # The revision's own harness: imported here, after its tree was put first on the path.
    from tests.gateway.conftest import FakeControlPlane, RunningGateway, base_snapshot
    from tests.support.processes import backend_process
    from tests.support.tokens import TokenFactory

    tokens = TokenFactory()
    per_round: list[float] = []
    with backend_process() as port:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                control_plane = FakeControlPlane(tokens, base_snapshot(port))
                overrides = {"gateway_analytics_enabled": analytics, "gateway_tracing": False}
                async with RunningGateway(Path(tmp), control_plane, overrides) as (gateway, _bus):
                    token = tokens.mint("alice", "", client_id="client-1")
                    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {token}".encode()),
                               (b"accept", b"application/json")]  # fmt: skip
                    for _ in range(WARM_UP):  # the token verified once, the backend connection open
                        assert await call_chain(gateway, headers) == 200
                    ok = 0
                    published = gateway.analytics.published
                    cpu = time.process_time()
                    for _ in range(requests):
                        ok += await call_chain(gateway, headers) == 200
                    # The drain's share counts too; waiting for it sleeps, so it costs no CPU.
                    deadline = time.monotonic() + 10
                    while analytics and gateway.analytics.published < published + requests:
                        if time.monotonic() > deadline:
                            raise SystemExit("the analytics drain did not publish every event")
                        await asyncio.sleep(0.005)
                    per_round.append((time.process_time() - cpu) / requests)
                    if ok != requests:
                        raise SystemExit(
                            f"{requests - ok} of {requests} calls were refused: fewer --requests"
                        )
    return per_round


def run_in(tree: Path, requests: int, rounds: int, analytics: bool = False) -> list[float]:
    paths = os.pathsep.join(str(tree / part) for part in ("", "services/gateway", "libs/apim_common"))
    measure_args = ["--measure", str(requests), str(rounds)] + (["--measure-analytics"] if analytics else [])
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *measure_args],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": paths, "APIM_LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(value) for value in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="HEAD~1")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--alternations", type=int, default=3)
    parser.add_argument("--analytics", choices=("off", "on", "both"), default="off")
    parser.add_argument("--measure", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure-analytics", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(*asyncio.run(measure(*args.measure, analytics=args.measure_analytics)))
        return
    switches = {"off": (False,), "on": (True,), "both": (False, True)}[args.analytics]
    workdir = Path(tempfile.mkdtemp(prefix="bench-chain-"))
    trees: dict[str, Path] = {"this tree": ROOT}
    try:
        if args.baseline != "none":
            tree = workdir / "baseline"
            added = subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), args.baseline],
                capture_output=True,
                text=True,
            )
            if added.returncode == 0:
                trees[f"@{args.baseline}"] = tree
            else:
                print(f"no baseline: git worktree add {args.baseline} failed: {added.stderr.strip()}")
        results: dict[tuple[str, bool], list[float]] = {(n, a): [] for n in trees for a in switches}
        for _ in range(args.alternations):
            for name, tree in trees.items():
                for analytics in switches:
                    results[name, analytics] += run_in(tree, args.requests, args.rounds, analytics)
        load = os.getloadavg()[0]
        print(f"in-process chain, {args.requests} requests x {args.rounds} rounds x {args.alternations}, "
              f"load average {load:.2f} on {os.cpu_count()} cores")  # fmt: skip
        best: dict[tuple[str, bool], float] = {}
        for (name, analytics), values in results.items():
            values.sort()
            best[name, analytics] = values[0]
            median = values[len(values) // 2]
            label = f"{name}, analytics {'on' if analytics else 'off'}"
            print(f"  {label:<36} best {values[0] * 1e6:6.1f} us CPU/request, median {median * 1e6:6.1f}")
        for name in trees:
            if (name, True) in best and (name, False) in best:
                added = (best[name, True] - best[name, False]) * 1e6
                print(f"  {name}: analytics on adds {added:+.1f} us CPU/request (best rounds)")
        if len(trees) == 2:
            mine, against = list(trees)
            for analytics in switches:
                change = (best[mine, analytics] - best[against, analytics]) * 1e6
                state = "on" if analytics else "off"
                print(f"  this tree against {against}, analytics {state}: {change:+.1f} us CPU/request")
    finally:
        if (workdir / "baseline").exists():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(workdir / "baseline")],
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
