"""Drive gateway admission clients against a shared limit and count what each window admitted.

Used by the throttle tests and by benchmarks/bench_throttle.py. Each gateway is a ThrottleClient
with its own state, connected to the leasing logic in-process (``InProcessTransport``) or over
HTTP; the shared counter is whatever backend the LeaseService holds (real Redis in the
integration test and the benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from apim_gateway.throttling import ClientConfig, Decision, ThrottleClient
from apim_throttle_sync.counters import (
    CounterBackend,
    LeaseRequest,
    MemoryCounterBackend,
    RedisCounterBackend,
)
from apim_throttle_sync.leases.pool import PoolConfig, ReplicaPools
from apim_throttle_sync.leases.schemas import LeaseBatch
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import RedisMembership


class InProcessTransport:
    """A gateway wired straight to the service's leasing logic (same validation, no HTTP)."""

    def __init__(self, service: LeaseService) -> None:
        self.service = service
        self.available = True
        # A replica process that is gone: its connections are refused.
        self.stopped = False

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.stopped:
            raise ConnectionRefusedError("throttle-sync replica stopped")
        if not self.available:
            raise ConnectionError("throttle-sync is unreachable")
        answer = await self.service.lease(LeaseBatch.model_validate(batch))
        return answer.model_dump()

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        if self.stopped:
            raise ConnectionRefusedError("throttle-sync replica stopped")
        if not self.available:
            raise ConnectionError("throttle-sync is unreachable")
        return (await self.service.heartbeat(gateway_id)).model_dump()


# A wall-clock instant that starts a minute, an hour and a day window alike.
_WINDOW_START_MS = 20_000 * 86_400 * 1000


def store_at_a_window_start() -> MemoryCounterBackend:
    """An in-memory store whose clock starts on a window boundary and then runs in real time.

    Tests asserting an exact count in one window use it: on the wall clock, a test may start a
    moment before any boundary and see two windows' worth of admissions.
    """
    started = time.monotonic()
    return MemoryCounterBackend(clock_ms=lambda: _WINDOW_START_MS + int((time.monotonic() - started) * 1000))


@contextlib.asynccontextmanager
async def started_gateways(transports: Sequence[Any], prefix: str) -> AsyncIterator[list[ThrottleClient]]:
    """A started admission client per transport (gateway ``{prefix}-{i}``), closed after."""
    clients = [ThrottleClient(t, gateway_id=f"{prefix}-{i}") for i, t in enumerate(transports)]
    for c in clients:
        await c.start()
    try:
        yield clients
    finally:
        for c in clients:
            await c.close()


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window_seconds: int = 1


@dataclass
class Tally:
    """Admissions per limit key and shared window (leased units), plus fallback and refusals."""

    admitted: Counter[tuple[str, int]] = field(default_factory=Counter)
    # Admissions during an outage, per key and wall-clock window.
    fallback: Counter[tuple[str, int]] = field(default_factory=Counter)
    refused: int = 0
    errors: int = 0

    def record(self, limit: Limit, decision: Decision) -> bool:
        if decision.admitted:
            if decision.fallback or decision.window is None:
                self.fallback[(limit.key, int(time.time() // limit.window_seconds))] += 1
            else:
                self.admitted[(limit.key, decision.window)] += 1
            return True
        self.refused += 1
        return False


async def _one_request(client: ThrottleClient, chain: Sequence[Limit], tally: Tally) -> None:
    """One request through a chain of limits, as the gateway checks them, stopping at a refusal."""
    for limit in chain:
        decision = client.try_acquire(limit.key, limit.limit, limit.window_seconds)
        if decision.pending:
            decision = await client.settle(limit.key)
        if not tally.record(limit, decision):
            return


async def drive(
    client: ThrottleClient,
    chain: Sequence[Limit],
    rate: float,
    until: float,
    tally: Tally,
    *,
    step: float = 0.002,
) -> None:
    """Offer ``rate`` requests per second until the wall clock reaches ``until``."""
    waiting: set[asyncio.Task[None]] = set()
    owed = 0.0
    last = time.time()
    while (now := time.time()) < until:
        owed += (now - last) * rate
        last = now
        for _ in range(int(owed)):
            owed -= 1
            first = chain[0]
            decision = client.try_acquire(first.key, first.limit, first.window_seconds)
            if decision.pending:
                task = asyncio.create_task(_one_request_settled(client, chain, tally))
                waiting.add(task)
                task.add_done_callback(waiting.discard)
            elif tally.record(first, decision) and len(chain) > 1:
                task = asyncio.create_task(_one_request(client, chain[1:], tally))
                waiting.add(task)
                task.add_done_callback(waiting.discard)
        await asyncio.sleep(step)
    if waiting:
        await asyncio.gather(*waiting)


async def _one_request_settled(client: ThrottleClient, chain: Sequence[Limit], tally: Tally) -> None:
    first = chain[0]
    decision = await client.settle(first.key)
    if tally.record(first, decision) and len(chain) > 1:
        await _one_request(client, chain[1:], tally)


def next_boundary(window_seconds: int, lead: float = 0.2) -> float:
    """The first window start at least ``lead`` seconds ahead."""
    now = time.time() + lead
    return math.ceil(now / window_seconds) * window_seconds


@dataclass
class RunResult:
    per_window: dict[str, list[int]]
    first_window: int
    operations: int
    admitted_total: int
    tally: Tally

    def ops_per_admitted(self) -> float:
        return self.operations / max(self.admitted_total, 1)


async def _sweep(replica: LeaseService) -> None:
    """As the service's background task: a sweep the store could not take is tried again later."""
    while True:
        await asyncio.sleep(0.25)
        with contextlib.suppress(Exception):
            await replica.sweep()


async def run_gateways(
    service: LeaseService,
    chain: Sequence[Limit],
    *,
    gateways: int,
    overload: float,
    windows: int,
    config: ClientConfig | None = None,
    during: Callable[[float], Any] | None = None,
    replicas: Sequence[LeaseService] = (),
) -> RunResult:
    """``gateways`` clients, each with its own state, offering ``overload`` x the first limit.

    Counts the full windows ``[start, start + windows)``; ``during(start)`` runs beside the load.
    With ``replicas`` (services sharing ``service``'s counter backend, with pools), gateway ``i``
    calls replica ``i % len(replicas)``, and each replica sweeps its pools as the service does.
    """
    first = chain[0]
    serving = list(replicas) or [service]
    transports = [InProcessTransport(serving[i % len(serving)]) for i in range(gateways)]
    sweepers = [asyncio.create_task(_sweep(r)) for r in replicas]
    clients = [ThrottleClient(t, gateway_id=f"load-gw-{i}", config=config) for i, t in enumerate(transports)]
    for c in clients:
        await c.start()
    # Every gateway heartbeats before the load, so leases are sized for all of them.
    for c in clients:
        await c.heartbeat()
    start = next_boundary(first.window_seconds)
    until = start + windows * first.window_seconds
    ops_before = service.counters.stats.operations
    tally = Tally()
    rate = first.limit / first.window_seconds * overload / gateways
    await asyncio.sleep(max(start - time.time(), 0))
    extra = [asyncio.create_task(during(start))] if during is not None else []
    try:
        await asyncio.gather(*(drive(c, chain, rate, until, tally) for c in clients))
        for task in extra:
            await task
    finally:
        for c in clients:
            await c.close()
        for task in sweepers:
            task.cancel()
        await asyncio.gather(*sweepers, return_exceptions=True)
    operations = service.counters.stats.operations - ops_before
    per_window: dict[str, list[int]] = {}
    first_window = int(start // first.window_seconds)
    for limit in chain:
        ids = range(first_window, first_window + windows * first.window_seconds // limit.window_seconds)
        per_window[limit.key] = [tally.admitted[(limit.key, w)] for w in ids]
    admitted_total = sum(tally.admitted.values())
    return RunResult(per_window, first_window, operations, admitted_total, tally)


async def flush_prefix(redis: Redis, prefix: str) -> None:
    async for key in redis.scan_iter(match=f"{prefix}*"):
        await redis.delete(key)


async def pooled_replicas(
    redis: Redis | RedisCluster, count: int, prefix: str, name: str = "r"
) -> list[LeaseService]:
    """``count`` throttle-sync replicas with pools on one Redis, their keys under ``prefix``, each
    known to the others; the store is marked in use (not one that just lost its counters)."""
    counters = RedisCounterBackend(redis, prefix=prefix)
    await counters.mark_in_use()
    members = RedisMembership(redis, ttl_seconds=3.0, prefix=prefix + "replicas:")
    services = [
        LeaseService(
            counters,
            RedisMembership(redis, ttl_seconds=3.0, prefix=prefix),
            gateway_ttl_seconds=3.0,
            pools=ReplicaPools(counters, f"{name}{i}"),
            replicas=members,
        )
        for i in range(count)
    ]
    for service in services:
        await service.active_gateways()
    return services


async def left_short(
    counters: CounterBackend, now: list[float], key: str, rebalance: float | None
) -> list[int]:
    """Two replicas share a limit of 100 per 1 s window, from a window's start (``now``, in
    seconds, is their clock): r0's gateways take 5 units and go quiet, r1's ask for 60 and get 50
    (r0's pool holds the other half); 0.5 s later both replicas read the store's notices
    (``watch``), and r1's gateways ask for 10 more. The units granted to each of the three asks."""
    config = PoolConfig(rebalance=rebalance)
    r0, r1 = (ReplicaPools(counters, name, config=config, clock=lambda: now[0]) for name in ("r0", "r1"))

    async def ask(pools: ReplicaPools, want: int) -> int:
        request = LeaseRequest(key, 100, 1, want)
        (grant,) = await pools.lease([request], gateways=1, replicas=2, gateway_spread=1)
        return grant.granted

    granted = [await ask(r0, 5), await ask(r1, 60)]
    now[0] += 0.5
    await r0.watch(replicas=2)
    await r1.watch(replicas=2)
    granted.append(await ask(r1, 10))
    return granted


async def left_short_on_redis(counters: RedisCounterBackend) -> list[int] | None:
    """``left_short`` on Redis (whose TIME is the window clock), started just after a window's
    start, up to three times until one run's asks all fell in one window; None if none did."""
    for attempt in range(3):
        await asyncio.sleep(max(next_boundary(1, lead=0.0) + 0.01 - time.time(), 0))
        started = time.time()
        granted = await left_short(counters, [0.0], f"k{attempt}", 1.0)
        if int(time.time()) == int(started):
            return granted
    return None
