"""Shared rate limit across 2, 4, 8 and 16 gateways on real Redis: leases against periodic sync.

Lease rows per gateway count: every gateway's batch going to the store (one throttle-sync
passing through, in this process: the previous design), and two throttle-sync replicas with pools
(``APIM_LEASE_POOLS``) subdividing their own leases to the gateways they serve, run as real
``python -m apim_throttle_sync`` processes on a Redis of their own, the gateways calling them over
HTTP with a service token (``--in-process`` adds the same tier as services in this process), and
the same tier with ``APIM_LEASE_REBALANCE=1`` (units moved between the replicas through the store's
notices), and with ``APIM_LEASE_KEYS_BY_REPLICA`` (every gateway listing both replicas and sending
the key to its owner). The processes' Redis operations are read from their
``apim_throttle_store_operations_total``.

Each gateway is an admission client with its own state offering 5x a limit of 1,000 per 1 s window.
Towards the replica processes, each gateway is a process of its own with its own HTTP client, as
deployed (``--one-process`` adds the same rows with every gateway an asyncio task of this process,
as before: at 16 gateways that one event loop lagged by more than the gateways' 1 s timeout, see
docs/decisions/0003); each row then prints the CPU each process took, as a share of one core.
The direct leases' gateways are asyncio tasks in this process.

Printed per gateway count: over-admission (admitted above the limit, must be 0 for leases),
under-admission (limit not admitted while demand exceeded it) and Redis operations per admitted
request; beside them, in the same run and against the same Redis,
the Kong / APISIX / Tyk-DRL style limiter: a local counter per gateway synced with the shared one
every ``sync`` seconds, admitting while "shared value at last sync + own admits since" is under
the limit.

    uv run python benchmarks/bench_throttle.py [--windows N] [--variants] [--one-process]

Starts scripts/infra when .infra/env is missing and stops it again (only then). Figures are noisy
on a shared 2-core machine: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from redis import Redis as SyncRedis  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from apim_common.security import INTERNAL_SCOPE  # noqa: E402
from apim_gateway.throttling import ClientConfig, HttpThrottleTransport, ThrottleClient  # noqa: E402
from apim_throttle_sync.app import redis_client  # noqa: E402
from apim_throttle_sync.counters import RedisCounterBackend  # noqa: E402
from apim_throttle_sync.leases.service import LeaseService  # noqa: E402
from apim_throttle_sync.membership import RedisMembership  # noqa: E402
from tests.support.processes import free_port, wait_for_port  # noqa: E402
from tests.support.tokens import TokenFactory  # noqa: E402
from tests.throttle_sync.load import (  # noqa: E402
    Limit,
    Tally,
    drive,
    flush_prefix,
    next_boundary,
    pooled_replicas,
    run_gateways,
)

LIMIT = 1000
OVERLOAD = 5.0
# The argument that makes this script one gateway of ``GatewayProcesses``.
GATEWAY_PROCESS = "--gateway-process"
ENV_FILE = ROOT / ".infra" / "env"


@dataclass
class Row:
    name: str
    gateways: int
    per_window: list[int]
    ops_per_admitted: float
    # Decisions the gateways took on their local share (throttle-sync timed out), not counted above.
    fallback: int = 0

    def over(self) -> float:
        return sum(max(n - LIMIT, 0) for n in self.per_window) / (LIMIT * len(self.per_window)) * 100

    def worst_over(self) -> int:
        return max(max(n - LIMIT, 0) for n in self.per_window)

    def under(self) -> float:
        return sum(max(LIMIT - n, 0) for n in self.per_window) / (LIMIT * len(self.per_window)) * 100

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.gateways:>3}  {self.over():>7.2f}%  {self.worst_over():>6}  "
            f"{self.under():>7.2f}%  {self.ops_per_admitted:>9.4f}   {self.per_window}"
            + (f"  ({self.fallback} decisions in fallback)" if self.fallback else "")
        )


async def leases(
    redis: Redis,
    gateways: int,
    windows: int,
    *,
    spread: float = 2.0,
    config: ClientConfig | None = None,
    overload: float = OVERLOAD,
) -> tuple[list[int], float, int]:
    prefix = f"apim:bench:{uuid.uuid4().hex[:8]}:"
    service = LeaseService(
        RedisCounterBackend(redis, prefix=prefix),
        RedisMembership(redis, ttl_seconds=3.0, prefix=prefix),
        spread=spread,
        gateway_ttl_seconds=3.0,
    )
    try:
        limit = Limit("bench:shared", LIMIT)
        result = await run_gateways(
            service, [limit], gateways=gateways, overload=overload, windows=windows, config=config
        )
        return result.per_window[limit.key], result.ops_per_admitted(), result.tally.refused
    finally:
        await flush_prefix(redis, prefix)


async def tier(redis: Redis, gateways: int, windows: int, replicas: int = 2) -> tuple[list[int], float, int]:
    """The replica tier: ``replicas`` throttle-sync services with pools on one Redis, gateway ``i``
    calling replica ``i % replicas``; Redis operations are those of every replica together."""
    prefix = f"apim:bench:{uuid.uuid4().hex[:8]}:"
    services = await pooled_replicas(redis, replicas, prefix, name="bench-r")
    try:
        limit = Limit("bench:shared", LIMIT)
        result = await run_gateways(
            services[0], [limit], gateways=gateways, overload=OVERLOAD, windows=windows, replicas=services
        )
        return result.per_window[limit.key], result.ops_per_admitted(), result.tally.refused
    finally:
        await flush_prefix(redis, prefix)


@contextlib.contextmanager
def _jwks_server(tokens: TokenFactory) -> Iterator[str]:
    """The key manager's ``/oauth2/jwks`` for the replicas: they verify the gateways' service token."""
    body = json.dumps(tokens.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@dataclass
class Replica:
    url: str
    metrics: str
    pid: int


@contextlib.contextmanager
def replica_processes(
    count: int, key_manager_url: str, rebalance: float | None = None, *, keys_by_replica: bool = False
) -> Iterator[list[Replica]]:
    """A Redis of their own (so its membership counts only these gateways) and ``count``
    throttle-sync processes with pools on it (``APIM_LEASE_REBALANCE=rebalance``, if set; with
    ``keys_by_replica``, ``APIM_LEASE_KEYS_BY_REPLICA``)."""
    redis_port = free_port()
    # redis-server from PATH, as scripts/infra starts it
    command = [
        "redis-server",
        "--port",
        str(redis_port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    redis_server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    processes: list[subprocess.Popen[bytes]] = []
    try:
        wait_for_port(redis_port, timeout=120.0)
        _in_use(f"redis://127.0.0.1:{redis_port}/0")
        replicas = []
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        for i in range(count):
            port, metrics_port = free_port(), free_port()
            env = {
                **os.environ,
                "APIM_PORT": str(port),
                "APIM_METRICS_PORT": str(metrics_port),
                "APIM_COUNTER_BACKEND": f"redis://127.0.0.1:{redis_port}/0",
                "APIM_LEASE_POOLS": "true",
                "APIM_REPLICA_ID": f"bench-r{i}",
                "APIM_GATEWAY_TTL_SECONDS": "3",
                "APIM_KEY_MANAGER_URL": key_manager_url,
                # Without a key manager, revocation snapshots are never fetched: tokens are still verified.
                "APIM_LOG_LEVEL": "ERROR",
                "APIM_SECRET_KEY": secret,
            }
            if rebalance is not None:
                env["APIM_LEASE_REBALANCE"] = str(rebalance)
            if keys_by_replica:
                env["APIM_LEASE_KEYS_BY_REPLICA"] = "true"
            command = [sys.executable, "-m", "apim_throttle_sync"]
            process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
            processes.append(process)
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            replicas.append(Replica(f"http://127.0.0.1:{port}", metrics, process.pid))
        for r in replicas:
            wait_for_port(int(r.url.rsplit(":", 1)[1]), timeout=120.0)
        yield replicas
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a replica still shutting down: the figures are in
                p.kill()
                p.wait()
        redis_server.kill()
        redis_server.wait()


def _in_use(url: str) -> None:
    """A store in use, not one that just lost its counters (which grants nothing for a while)."""
    keys = RedisCounterBackend(Redis.from_url(url)).epoch_keys  # the layout only: no connection
    with SyncRedis.from_url(url) as redis:
        for key in keys:
            redis.set(key, 0)


async def _store_operations(http: httpx.AsyncClient, replicas: list[Replica]) -> int:
    total = 0.0
    for r in replicas:
        text = (await http.get(r.metrics)).text
        found = re.search(r"^apim_throttle_store_operations_total (\S+)$", text, re.M)
        total += float(found.group(1)) if found else 0.0
    return int(total)


@contextlib.asynccontextmanager
async def _http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=5.0) as http:
        yield http


def _cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class TierRun:
    per_window: list[int]
    ops_per_admitted: float
    fallback: int
    # CPU per process over the counted windows, as a share of one core.
    gateway_cpu: list[float]
    replica_cpu: list[float]

    def cpu_line(self) -> str:
        gateways = self.gateway_cpu
        if len(gateways) == 1:
            side = f"bench process (every gateway) {gateways[0]:.0%}"
        else:
            side = f"gateway processes {sum(gateways):.0%} together, at most {max(gateways):.0%} one"
        replicas = ", ".join(f"{c:.0%}" for c in self.replica_cpu)
        load = os.getloadavg()[0]
        return f"{'':<34}       CPU of one core: {side}; replicas {replicas}; load {load:.1f}"


async def tier_processes(
    replicas: list[Replica], tokens: TokenFactory, gateways: int, windows: int
) -> TierRun:
    """The replica tier as processes, every gateway an asyncio task of this process: gateway ``i``
    calls replica ``i % len(replicas)`` over HTTP."""
    limit = Limit(f"bench:shared:{uuid.uuid4().hex[:6]}", LIMIT)
    token = tokens.mint("bench-gateway", INTERNAL_SCOPE)

    async def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async with _http() as http:
        clients = [
            ThrottleClient(
                HttpThrottleTransport(http, replicas[i % len(replicas)].url, headers),
                gateway_id=f"bench-gw-{i}",
            )
            for i in range(gateways)
        ]
        for c in clients:
            await c.start()
        try:
            # One window of load to warm up (the replicas measure no demand yet), not counted.
            start = next_boundary(1, lead=0.5) + 1
            until = start + windows
            tally = Tally()
            rate = LIMIT * OVERLOAD / gateways
            await asyncio.sleep(max(start - 1 - time.time(), 0))
            load = asyncio.gather(*(drive(c, [limit], rate, until, tally) for c in clients))
            await asyncio.sleep(max(start - time.time(), 0))
            pids = (os.getpid(), *(r.pid for r in replicas))
            cpu = [_cpu_seconds(p) for p in pids]
            before = await _store_operations(http, replicas)
            await load
            spent = [(_cpu_seconds(p) - c) / windows for p, c in zip(pids, cpu, strict=True)]
            operations = await _store_operations(http, replicas) - before
        finally:
            for c in clients:
                await c.close()
    per_window = [tally.admitted[(limit.key, int(start) + i)] for i in range(windows)]
    ops = operations / max(sum(per_window), 1)
    fallback = sum(n for (_, w), n in tally.fallback.items() if w >= start)
    return TierRun(per_window, ops, fallback, spent[:1], spent[1:])


class GatewayProcesses:
    """Gateways as deployed: each a process with its own HTTP client and ``ThrottleClient``,
    driven by this process through lines of JSON on its stdin and stdout (``_gateway_process``)."""

    def __init__(self, count: int) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), GATEWAY_PROCESS]
        self.processes = [
            subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
            )
            for _ in range(count)
        ]

    async def started(self) -> None:
        """Once every process has imported what it runs: importing 16 at once takes both cores for
        seconds, and a row run meanwhile (the first, direct leases) timed out on its own Redis."""
        for p in self.processes:
            await self._answer(p)

    def close(self) -> None:
        for p in self.processes:
            assert p.stdin is not None
            p.stdin.close()
        for p in self.processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    @staticmethod
    def _send(process: subprocess.Popen[str], message: dict[str, object]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()

    @staticmethod
    async def _answer(process: subprocess.Popen[str]) -> dict[str, Any]:
        assert process.stdout is not None
        line = await asyncio.to_thread(process.stdout.readline)
        if not line:
            raise RuntimeError(f"gateway process {process.pid} ended")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def run(
        self, replicas: list[Replica], tokens: TokenFactory, gateways: int, windows: int, keyed: bool = False
    ) -> TierRun:
        """The first ``gateways`` processes, gateway ``i`` calling replica ``i % len(replicas)`` (with
        ``keyed``, every gateway listing every replica: the key's owner answers them all)."""
        limit = Limit(f"bench:shared:{uuid.uuid4().hex[:6]}", LIMIT)
        token = tokens.mint("bench-gateway", INTERNAL_SCOPE)
        used = self.processes[:gateways]
        for i, p in enumerate(used):
            self._send(
                p,
                {
                    "url": ",".join(r.url for r in replicas) if keyed else replicas[i % len(replicas)].url,
                    "token": token,
                    "gatewayId": f"bench-gw-{i}",
                    "key": limit.key,
                    "limit": LIMIT,
                    "rate": LIMIT * OVERLOAD / gateways,
                },
            )
        for p in used:  # every gateway started (its first heartbeat answered or failed)
            await self._answer(p)
        # One window to warm up (the replicas measure no demand yet), not counted.
        start = next_boundary(1, lead=0.5) + 1
        until = start + windows
        for p in used:
            self._send(p, {"start": start, "until": until})
        async with _http() as http:
            await asyncio.sleep(max(start - time.time(), 0))
            before = await _store_operations(http, replicas)
            replica_cpu = [_cpu_seconds(r.pid) for r in replicas]
            await asyncio.sleep(max(until - time.time(), 0))
            replica_cpu = [
                (_cpu_seconds(r.pid) - c) / windows for r, c in zip(replicas, replica_cpu, strict=True)
            ]
            answers = [await self._answer(p) for p in used]
            operations = await _store_operations(http, replicas) - before
        per_window = [sum(a["admitted"].get(str(int(start) + i), 0) for a in answers) for i in range(windows)]
        return TierRun(
            per_window,
            operations / max(sum(per_window), 1),
            sum(a["fallback"] for a in answers),
            [a["cpu"] / windows for a in answers],
            replica_cpu,
        )


async def _gateway_process() -> None:
    """One gateway of ``GatewayProcesses``: per row, a spec line (answered once its client started),
    then a start line (answered with what it admitted per window, its decisions in fallback and the
    CPU it took over the counted windows). A first line says it has started."""
    print(json.dumps({"started": True}), flush=True)
    while spec_line := await asyncio.to_thread(sys.stdin.readline):
        spec = json.loads(spec_line)
        limit = Limit(spec["key"], spec["limit"])
        token = spec["token"]

        async def headers(token: str = token) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        async with _http() as http:
            client = ThrottleClient(
                HttpThrottleTransport(http, spec["url"], headers), gateway_id=spec["gatewayId"]
            )
            await client.start()
            print(json.dumps({"ready": True}), flush=True)
            times = json.loads(await asyncio.to_thread(sys.stdin.readline))
            start, until = float(times["start"]), float(times["until"])
            tally = Tally()
            # One window of load to warm up (the replicas measure no demand yet), not counted.
            await asyncio.sleep(max(start - 1 - time.time(), 0))
            load = asyncio.create_task(drive(client, [limit], spec["rate"], until, tally))
            await asyncio.sleep(max(start - time.time(), 0))
            cpu = time.process_time()
            await load
            cpu = time.process_time() - cpu
            await client.close()
        admitted = {str(w): n for (_, w), n in tally.admitted.items()}
        fallback = sum(n for (_, w), n in tally.fallback.items() if w >= start)
        answer = {"admitted": admitted, "fallback": fallback, "cpu": cpu}
        print(json.dumps(answer), flush=True)


async def periodic_sync(redis: Redis, gateways: int, windows: int, sync: float) -> tuple[list[int], float]:
    """The reference: local counters synced to a shared Redis counter every ``sync`` seconds."""
    prefix = f"apim:bench:{uuid.uuid4().hex[:8]}:"
    admitted: dict[int, int] = {}
    ops = 0
    start = next_boundary(1)
    until = start + windows
    rate = LIMIT * OVERLOAD / gateways

    async def gateway() -> None:
        nonlocal ops
        window = -1
        shared = 0  # the shared count as of the last sync
        unsynced = 0  # own admits not yet added to it
        local = 0  # own admits since the last sync
        next_sync = time.time() + sync
        owed, last = 0.0, time.time()
        while (now := time.time()) < until:
            w = int(now)
            if w != window:
                window, shared, unsynced, local = w, 0, 0, 0
            if now >= next_sync:
                next_sync = now + sync
                async with redis.pipeline(transaction=False) as pipe:
                    pipe.incrby(f"{prefix}{window}", unsynced)
                    pipe.expire(f"{prefix}{window}", 5)
                    shared = int((await pipe.execute())[0])
                ops += 2
                unsynced = local = 0
            owed += (now - last) * rate
            last = now
            for _ in range(int(owed)):
                owed -= 1
                if shared + local < LIMIT:
                    local += 1
                    unsynced += 1
                    if now >= start:
                        admitted[w] = admitted.get(w, 0) + 1
            await asyncio.sleep(0.002)

    await asyncio.sleep(max(start - 0.5 - time.time(), 0))
    await asyncio.gather(*(gateway() for _ in range(gateways)))
    await flush_prefix(redis, prefix)
    per_window = [admitted.get(int(start) + i, 0) for i in range(windows)]
    return per_window, ops / max(sum(per_window), 1)


async def main(windows: int, variants: bool, counts: list[int], in_process: bool, one_process: bool) -> None:
    env = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    redis = redis_client(env["APIM_TEST_REDIS_URL"], 0.5)
    tokens = TokenFactory()
    with (
        _jwks_server(tokens) as key_manager,
        replica_processes(2, key_manager) as replicas,
        replica_processes(2, key_manager, rebalance=1.0) as rebalancing,
        replica_processes(2, key_manager, keys_by_replica=True) as keyed,
    ):
        gateways = GatewayProcesses(max(counts))  # once the replicas listen: fewer imports at once
        try:
            await gateways.started()
            tiers = Tiers(gateways, replicas, rebalancing, keyed, tokens, one_process)
            await _main(redis, tiers, windows, variants, counts, in_process)
        finally:
            gateways.close()


@dataclass
class Tiers:
    """The three pairs of replica processes, and how the gateways calling them run."""

    gateways: GatewayProcesses
    replicas: list[Replica]
    rebalancing: list[Replica]
    keyed: list[Replica]
    tokens: TokenFactory
    # Also every gateway as an asyncio task of this process (the bench before its gateway processes).
    one_process: bool

    async def rows(self, gateways: int, windows: int) -> None:
        for name, replicas, keyed in (
            ("leases, 2 replica processes, pools", self.replicas, False),
            ("  the same, rebalancing", self.rebalancing, False),
            ("  the same, keys by replica", self.keyed, True),
        ):
            run = await self.gateways.run(replicas, self.tokens, gateways, windows, keyed)
            print(Row(name, gateways, run.per_window, run.ops_per_admitted, run.fallback).line())
            print(run.cpu_line(), flush=True)
            if self.one_process:
                run = await tier_processes(replicas, self.tokens, gateways, windows)
                label = "    gateways in the bench's process"
                print(Row(label, gateways, run.per_window, run.ops_per_admitted, run.fallback).line())
                print(run.cpu_line(), flush=True)


async def _main(
    redis: Redis,
    tiers: Tiers,
    windows: int,
    variants: bool,
    counts: list[int],
    in_process: bool,
) -> None:
    print(
        f"limit {LIMIT}/s, {OVERLOAD:g}x overload, {windows} windows of 1 s per row; each gateway "
        "has its own state (towards the replica processes, a process of its own); shared 2-core "
        f"machine, figures are noisy; load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'limiter':<34} {'gws':>3}  {'over':>8}  {'worst':>6}  {'under':>8}  {'ops/adm':>9}   "
        "admitted per window"
    )
    try:
        for g in counts:
            per_window, ops, _ = await leases(redis, g, windows)
            print(Row("leases, gateways to the store", g, per_window, ops).line(), flush=True)
            await tiers.rows(g, windows)
            if in_process:
                per_window, ops, _ = await tier(redis, g, windows)
                print(Row("leases, 2 in-process replicas", g, per_window, ops).line(), flush=True)
            for sync in (0.1, 0.02):
                per_window, ops = await periodic_sync(redis, g, windows, sync)
                print(Row(f"periodic sync {sync:g} s (Kong/APISIX)", g, per_window, ops).line(), flush=True)
        if variants:
            print("\nlease variants, 4 gateways")
            for name, spread, config in (
                ("spread 1", 1.0, ClientConfig()),
                ("spread 4", 4.0, ClientConfig()),
                ("tick 20 ms", 2.0, ClientConfig(tick=0.02)),
                ("horizon 0.05 s (previous default)", 2.0, ClientConfig(lease_horizon=0.05)),
                ("no wait for leases (max_wait 0)", 2.0, ClientConfig(max_wait=0.0)),
            ):
                per_window, ops, _ = await leases(redis, 4, windows, spread=spread, config=config)
                print(Row(name, 4, per_window, ops).line(), flush=True)
            print("\nbelow the limit (0.8x load, 4 gateways): requests refused, which should be none")
            for max_wait in (0.05, 0.0):
                per_window, _, refused = await leases(
                    redis, 4, windows, config=ClientConfig(max_wait=max_wait), overload=0.8
                )
                print(
                    f"  max_wait {max_wait:g} s: {refused} refused of {sum(per_window) + refused}", flush=True
                )
    finally:
        await redis.aclose()
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--variants", action="store_true", help="also compare lease parameters")
    parser.add_argument("--gateways", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument(
        "--in-process", action="store_true", help="also the replicas as services in this process"
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="also every gateway calling the replica processes as an asyncio task of this process",
    )
    if sys.argv[1:] == [GATEWAY_PROCESS]:
        asyncio.run(_gateway_process())
        sys.exit(0)
    args = parser.parse_args()
    started = False
    if not ENV_FILE.exists():
        subprocess.run([str(ROOT / "scripts" / "infra"), "up"], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        started = True
    try:
        asyncio.run(main(args.windows, args.variants, args.gateways, args.in_process, args.one_process))
    finally:
        if started:
            infra_down = [str(ROOT / "scripts" / "infra"), "down"]
            subprocess.run(infra_down, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
