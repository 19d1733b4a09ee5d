"""GraphQL through the gateway's chain, in-process, beside the plain REST chain in the same run.

Each round starts a gateway (``bench_chain.py``'s harness and backend) serving the REST API of
``bench_chain.py`` and a GraphQL API, then drives both chains with ``process_time`` around each:
the REST GET of ``bench_chain.call_chain`` and a POST of a GraphQL query that is in the analysis
cache after the warm-up. Both APIs call the same backend process (the GraphQL API's endpoint is
its echo), so the difference is the gateway's own work, not that of a GraphQL server answering.
Then, with no gateway: the CPU of a cache miss (parse, validate and analyse a query of about 60
tokens, through the analyser's worker thread), and the longest stall of the event loop while the
dearest queries the caps allow are analysed, measured by a task that wakes every millisecond.

Then, load-independent: the cached GraphQL POST and the plain REST GET of
``bench_chain_instructions.py`` counted in machine instructions per request under callgrind, by
that bench's driver (its in-memory backend, its chain's policy on both APIs, analytics on), and
the difference also in microseconds: instructions over the REST chain's instructions per CPU
microsecond, measured natively in the same run.

    uv run python benchmarks/bench_graphql.py [--requests N] [--rounds R] [--misses M]
        [--counted N] [--no-callgrind]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_chain import WARM_UP, call_chain  # noqa: E402
from bench_chain_instructions import BACKEND_PORT, chain_snapshot, instructions, measure  # noqa: E402
from bench_chain_instructions import call_chain as counted_chain  # noqa: E402

from apim_gateway.graphql import Analysis, QueryAnalyser, QueryRefused, compile_schema  # noqa: E402
from apim_gateway.graphql.prepare import prepare  # noqa: E402
from apim_gateway.graphql.queries import SWITCH_INTERVAL  # noqa: E402
from tests.gateway.conftest import FakeControlPlane, RunningGateway, base_snapshot, count_limit  # noqa: E402
from tests.gateway.test_gateway_graphql import films_api  # noqa: E402
from tests.support.graphql_backend import SCHEMA  # noqa: E402
from tests.support.processes import backend_process  # noqa: E402
from tests.support.tokens import TokenFactory  # noqa: E402

CACHED = b'{"query": "{ film(id: 1) { id title director } }"}'
# About 60 tokens, with a fragment, an alias and a variable.
SIXTY_TOKENS = """query Films($n: Int = 2) {
  a: allFilms(first: $n) { ...Parts planets(first: 2) { id climate residents { eyeColor } } }
  film(id: %d) { title director producers }
}
fragment Parts on Film { id title createdAt Species { id } }"""


async def call_post(gateway: Any, headers: list[tuple[bytes, bytes]], path: str, body: bytes) -> int:
    """One POST of a JSON body through ``gateway``'s ASGI app; its status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("localhost", 8280), "state": {},
    }  # fmt: skip
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await gateway(scope, receive, send)
    return status


def add_films(snapshot: dict[str, Any], films: dict[str, Any]) -> None:
    """Deploy the films API in ``snapshot``, subscribed by the REST rows' application."""
    snapshot["publisher"]["artifacts"].append(films)
    snapshot["devportal"]["subscriptions"].append(
        {
            "subscriptionId": "sub-films",
            "applicationId": "app-1",
            "apiId": "films",
            "throttlingPolicy": "Gold",
            "status": "UNBLOCKED",
        }
    )


async def chains(requests: int, rounds: int) -> dict[str, list[float]]:
    """CPU seconds per request of each round, REST and cached GraphQL, on the same gateway."""
    tokens = TokenFactory()
    found: dict[str, list[float]] = {"REST GET": [], "REST POST, same body": [], "GraphQL POST, cached": []}
    with backend_process() as port:
        snapshot = base_snapshot(port)
        # Both REST rows count on the pets subscription: a tier they do not spend (still counted).
        snapshot["admin"]["throttlePolicies"]["subscription"][0]["defaultLimit"] = count_limit(10**9)
        films = films_api(port, "films", "/films")
        films["endpointConfig"]["production_endpoints"]["url"] = f"http://127.0.0.1:{port}/echo"
        add_films(snapshot, films)
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                control_plane = FakeControlPlane(tokens, json.loads(json.dumps(snapshot)))
                overrides = {"gateway_analytics_enabled": False, "gateway_tracing": False}
                async with RunningGateway(Path(tmp), control_plane, overrides) as (gateway, _bus):
                    token = tokens.mint("alice", "", client_id="client-1")
                    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {token}".encode()),
                               (b"accept", b"application/json")]  # fmt: skip
                    calls: dict[str, tuple[Any, tuple[Any, ...]]] = {
                        "REST GET": (call_chain, (gateway, headers)),
                        "REST POST, same body": (call_post, (gateway, headers, "/pets/1.0.0/echo", CACHED)),
                        "GraphQL POST, cached": (call_post, (gateway, headers, "/films/1.0.0", CACHED)),
                    }
                    for name, (call, arguments) in calls.items():
                        for _ in range(WARM_UP):
                            assert await call(*arguments) == 200, name
                        ok = 0
                        cpu = time.process_time()
                        for _ in range(requests):
                            ok += await call(*arguments) == 200
                        found[name].append((time.process_time() - cpu) / requests)
                        if ok != requests:
                            raise SystemExit(f"{name}: {requests - ok} of {requests} calls were refused")
    return found


def counted_snapshot(base_snapshot: Any) -> dict[str, Any]:
    """``bench_chain_instructions``'s snapshot plus the films API on its in-memory backend, with
    the REST API's policy, subscribed by the same application."""
    snapshot = chain_snapshot(base_snapshot)
    films = films_api(BACKEND_PORT, "films", "/films")
    films["apiPolicies"] = snapshot["publisher"]["artifacts"][0]["apiPolicies"]
    add_films(snapshot, films)
    return snapshot


async def counted_graphql(gateway: Any, headers: list[tuple[bytes, bytes]]) -> int:
    return await call_post(gateway, headers, "/films/1.0.0", CACHED)


async def counted_post(gateway: Any, headers: list[tuple[bytes, bytes]]) -> int:
    return await call_post(gateway, headers, "/pets/1.0.0/echo", CACHED)


COUNTED_CALLS = {"rest": counted_chain, "rest-post": counted_post, "graphql": counted_graphql}
COUNTED_NAMES = {"rest": "REST GET", "rest-post": "REST POST, same body", "graphql": "GraphQL POST, cached"}


def count(requests: int, rounds: int, analytics: bool) -> tuple[dict[str, float], float]:
    """Instructions per request of each of ``COUNTED_CALLS``, each in its own callgrind process
    (the files kept in a temporary directory), and the REST GET's CPU microseconds per request,
    best of ``rounds``, natively."""
    keep = Path(tempfile.mkdtemp(prefix="bench-graphql-instr-"))
    counted = {}
    for kind in COUNTED_CALLS:
        inner = [str(Path(__file__).resolve()), "--count", kind, str(requests)]
        inner += ["--count-analytics"] if analytics else []
        counted[kind] = instructions(ROOT, requests, analytics, keep / f"callgrind.{kind}.out", inner)
    native = asyncio.run(measure(requests, rounds, analytics, False, snapshot=counted_snapshot))
    return counted, min(native) * 1e6


async def misses(count: int) -> float:
    """CPU seconds of one cache miss of a ~60-token query, its worker thread's share included."""
    compiled = compile_schema({"graphQLSchema": SCHEMA})
    analyser = QueryAnalyser(max_entries=0, max_tokens=2000, max_query_bytes=65536)
    try:
        await analyser.analyse("warm", compiled, SIXTY_TOKENS % 0, None)
        cpu = time.process_time()
        for n in range(count):
            await analyser.analyse("api", compiled, SIXTY_TOKENS % (n + 1), None)
        return (time.process_time() - cpu) / count
    finally:
        analyser.close()


WORST = {
    "660 aliases (1,980 tokens)": "{ " + " ".join(f"a{i}: hello" for i in range(660)) + " }",
    # 176,415 comparisons for the overlapping-fields rule: refused by their count (merging.py).
    "30 x 14 repeated selections": "{ "
    + " ".join("allFilms { " + "planets { id } " * 14 + "}" for _ in range(30))
    + " }",
    # 1,983 comparisons, just under the count's bound: the rule runs.
    "3 x 15 repeated selections": "{ "
    + " ".join("allFilms { " + "planets { id } " * 15 + "}" for _ in range(3))
    + " }",
    "nested 90 levels": "{ allFilms { " + "planets { films { " * 45 + "id" + " } }" * 45 + " } }",
}


async def _tick(done: asyncio.Event, gaps: list[float]) -> None:
    """Wakes every millisecond until ``done``, noting how long each wake-up really took."""
    last = time.perf_counter()
    while not done.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


WORKER = "worker thread"
WORKER_5MS = "worker, 5 ms switch"  # the interpreter's default switch interval, as before 1 ms
STALL_REPEATS = 3


async def stalls() -> dict[tuple[str, str], tuple[float, float, str]]:
    """Per query, analysed on the worker thread (the switch interval lowered to 1 ms meanwhile,
    as the gateway does, and left at 5 ms) and on the loop itself (as it would be without the
    worker): the analysis's wall time and the loop's longest stall meanwhile, best of 3, and
    whether the query was accepted or refused."""
    compiled = compile_schema({"graphQLSchema": SCHEMA})
    analyser = QueryAnalyser(max_entries=0, max_tokens=2000, max_query_bytes=65536)
    found: dict[tuple[str, str], tuple[float, float, str]] = {}
    # The rounds' garbage collected first, as a gateway's start-up objects are frozen (a full
    # collection holds the interpreter whichever thread triggers it).
    gc.collect()
    try:
        for name, query in WORST.items():
            for where in (WORKER, WORKER_5MS, "on the loop"):
                # Repeated, the least disturbed kept: a loaded machine adds its own stalls.
                for _ in range(STALL_REPEATS):
                    analyser.switch_interval = None if where == WORKER_5MS else SWITCH_INTERVAL
                    gaps: list[float] = []
                    done = asyncio.Event()
                    ticker = asyncio.create_task(_tick(done, gaps))
                    await asyncio.sleep(0.01)
                    start = time.perf_counter()
                    if where == "on the loop":
                        analysed = prepare(compiled, query, None, 2000)
                    else:
                        try:
                            analysed = await analyser.analyse(name, compiled, query, None)
                        except QueryRefused as refused:
                            analysed = refused
                    elapsed = time.perf_counter() - start
                    outcome = "accepted" if isinstance(analysed, Analysis) else "refused"
                    done.set()
                    await ticker
                    known = found.get((name, where))
                    if known is None or max(gaps) < known[1]:
                        found[name, where] = (elapsed, max(gaps), outcome)
    finally:
        analyser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--misses", type=int, default=300)
    parser.add_argument("--counted", type=int, default=1000, help="requests counted under callgrind")
    parser.add_argument("--no-callgrind", action="store_true")
    parts = ("counted", "chains", "miss", "stalls")
    parser.add_argument("--only", choices=parts, action="append", help="run only these parts")
    parser.add_argument("--count", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--count-analytics", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("APIM_LOG_LEVEL", "ERROR")
    if args.count:  # one process under callgrind, started by count()
        kind, requests = args.count[0], int(args.count[1])
        call = COUNTED_CALLS[kind]
        asyncio.run(measure(requests, 1, args.count_analytics, True, call=call, snapshot=counted_snapshot))
        return
    run = set(args.only or parts) - ({"counted"} if args.no_callgrind else set())
    if "counted" in run and not (shutil.which("valgrind") and shutil.which("gcc")):
        print("instructions per request: not counted, valgrind or gcc is not installed")
        run.discard("counted")
    if "counted" in run:
        counted, rest_us = count(args.counted, args.rounds, analytics=True)
        rest = counted["rest"]
        per_us = rest / rest_us
        print(
            f"instructions per request under callgrind ({args.counted} requests, analytics on,"
            f" in-memory backend), load average {os.getloadavg()[0]:.2f}:"
        )
        print(f"  {'REST GET':<24} {rest:>9,.0f}  ({rest_us:.1f} us CPU natively: {per_us:,.0f}/us)")
        for kind in ("rest-post", "graphql"):
            added = counted[kind] - rest
            goal = " (goal: at most +20 us)" if kind == "graphql" else ""
            print(
                f"  {COUNTED_NAMES[kind]:<24} {counted[kind]:>9,.0f}  {added:+,.0f}"
                f" = {added / per_us:+.1f} us at the REST GET's rate{goal}"
            )
    if "chains" in run:
        print_chains(args.requests, args.rounds)
    if "miss" in run:
        miss = asyncio.run(misses(args.misses))
        print(f"cache miss, a ~60-token query parsed, validated and analysed: {miss * 1e3:.2f} ms CPU")
    if "stalls" in run:
        print_stalls()


def print_chains(requests: int, rounds: int) -> None:
    found = asyncio.run(chains(requests, rounds))
    print(
        f"in-process chain, {requests} requests x {rounds} rounds, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    best = {}
    for name, values in found.items():
        values.sort()
        best[name] = values[0]
        median = values[len(values) // 2]
        print(f"  {name:<24} best {values[0] * 1e6:6.1f} us CPU/request, median {median * 1e6:6.1f}")
    for against in ("REST GET", "REST POST, same body"):
        added = (best["GraphQL POST, cached"] - best[against]) * 1e6
        print(
            f"  a cached GraphQL query against the {against}: {added:+.1f} us CPU/request (best rounds;"
            " goal: at most +20 us)"
        )


def print_stalls() -> None:
    print(
        "event loop's longest stall while the dearest queries within the caps are analysed"
        f" (best of {STALL_REPEATS}; goal: at most 10 ms), load average {os.getloadavg()[0]:.2f}:"
    )
    for (name, where), (elapsed, longest, outcome) in asyncio.run(stalls()).items():
        print(
            f"  {name:<28} {where:<19} {outcome:<8} in {elapsed * 1e3:6.1f} ms, stall {longest * 1e3:5.1f} ms"
        )


if __name__ == "__main__":
    main()
