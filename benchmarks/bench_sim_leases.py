"""Simulated shared rate limits at 2 to 1,024 gateways: the lease protocol as shipped, beside
periodic sync (Kong / APISIX style) and a store operation on every request.

Deterministic: seeded random arrivals, a simulated clock, no sockets. The lease rows run the
project's own code: the counter store is ``MemoryCounterBackend`` on the simulated clock (so the
grant is ``lease_size`` itself), and each gateway decides when and how much to ask with
``apim_gateway.throttling.sizing``, the functions ``ThrottleClient`` uses, on its defaults
(``ClientConfig``: 10 ms tick, 0.2 s horizon, 30 ms prefetch, 50 ms wait, 0.25 s idle return) and
the service's spread of 2. The previous sizing (0.05 s horizon) runs beside it on the same
requests. A batch reaches the store when it is
sent and its answer comes back ``RTT`` later; one batch per gateway is in flight at a time, as on
the client's sync task. The replica tier runs beside them (``TierSim``): throttle-sync replicas
running the service's ``ReplicaPools`` on the same store, each leasing for the gateways it serves
and subdividing, with the gateways' reserve as shipped and without it (``no_reserve_low_water``). With
pools, a gateway's reserve stays within ``reserve_cap`` of what remains (none in the window's last
``2 x idle_return``), and a gateway told nothing remains asks again after the replica's
``retryInMs``, doubling, so units given back to the pool are found. The tier also runs with
``APIM_LEASE_REBALANCE=1`` ("tier, rebalancing": units move between replicas through the store's
notices, read every 50 ms by each replica's ``watch``), and with ``APIM_LEASE_KEYS_BY_REPLICA``
("tier, keys by replica": each gateway sends each key to its owner replica, ``rendezvous_order``
as the gateway's ``ReplicaRouter`` computes it, and the store sizes an owner's leases as for one
replica). With ``--stranded``, each tier row is
followed by a line per window on where the units not admitted sat at its end: in gateways'
buckets, in each replica's pools, at the store, and how many gateways of each replica were told
nothing remains.

Demand: Poisson arrivals at 0.5x, 1x or 5x the limit; uniform (every gateway alike, one key) or
skewed (Zipf over the gateways, and over 8 keys sharing the same total limit). Churn: a tenth of
the gateways crash at random times holding their leases (membership forgets them after its 5 s
TTL) and as many new gateways join.

Printed per row: over-admission (admitted above a key's limit in a window), under-admission (units
of the limit not admitted in a window while that window's demand existed for them), and store
operations per admitted request (one per key in a lease batch, as ``BackendStats`` counts on
Redis; periodic sync: INCRBY and EXPIRE per sync; per-request: one INCR per request). Membership
heartbeats (one per gateway per second, whatever the traffic) are counted by none of the rows.

Periodic sync is simulated in its favour: a gateway syncs a key when a request finds its last sync
older than the interval, so an idle gateway costs nothing and a busy one reads the shared count
just before it decides.

    uv run python benchmarks/bench_sim_leases.py [--full] [--candidates] [--stranded] [--seed N]
        [--gateways N ...]
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import math
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apim_gateway.throttling import ClientConfig, rendezvous_order  # noqa: E402
from apim_gateway.throttling.sizing import (  # noqa: E402
    exhausted_retry,
    lease_want,
    low_water,
    next_rate,
    reserve_cap,
    runs_low,
    wants_more_after_grant,
)
from apim_throttle_sync.counters import LeaseGrant, LeaseRequest, MemoryCounterBackend  # noqa: E402
from apim_throttle_sync.leases.pool import PoolConfig, ReplicaPools  # noqa: E402

SPREAD = 2.0  # LeaseService's default
MEMBERSHIP_TTL = 5.0  # LeaseService's gateway_ttl_seconds
RTT = 0.002  # gateway -> throttle-sync -> store and back
T0 = 278 * 3600.0  # the simulated clock starts on a window boundary of every window length
SKEWED_KEYS = 8
ZIPF_S = 1.0
GATEWAY_COUNTS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
LOADS = (0.5, 1.0, 5.0)
# window seconds -> (total limit per window over all keys, windows simulated)
WINDOWS = {1: (1000, 3), 60: (6000, 1), 3600: (36000, 1)}


T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (the in-memory backend's ``lease``) to its result."""
    try:
        coro.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    raise RuntimeError("the counter backend suspended; the simulation has no event loop")


@dataclass(frozen=True)
class Scenario:
    gateways: int
    load: float
    window: int
    skewed: bool = False
    churn: bool = False
    seed: int = 29

    @property
    def keys(self) -> int:
        return SKEWED_KEYS if self.skewed else 1

    @property
    def limit(self) -> int:
        """Each key's limit per window."""
        return WINDOWS[self.window][0] // self.keys

    @property
    def span(self) -> float:
        return self.window * WINDOWS[self.window][1]

    def label(self) -> str:
        demand = "skewed" if self.skewed else "uniform"
        churn = " churn" if self.churn else ""
        return f"{self.gateways:>5} gw {self.load:>4g}x {_window_name(self.window):>4} {demand}{churn}"


def _window_name(seconds: int) -> str:
    return {1: "1 s", 60: "1 min", 3600: "1 h"}.get(seconds, f"{seconds} s")


@dataclass(frozen=True)
class Churn:
    """When gateways crash (slot, time) and join (slot, time); slots not yet joined are absent."""

    crashes: dict[int, float]
    joins: dict[int, float]

    def alive(self, slot: int, t: float) -> bool:
        return self.joins.get(slot, T0) <= t < self.crashes.get(slot, float("inf"))


@dataclass
class Arrivals:
    times: list[float]
    slots: list[int]
    keys: list[int]
    churn: Churn
    slots_total: int


def _zipf(n: int, skewed: bool) -> list[float]:
    return [1.0 / (i + 1) ** ZIPF_S if skewed else 1.0 for i in range(n)]


def arrivals(s: Scenario) -> Arrivals:
    """One seeded stream of requests, the same for every limiter of a scenario."""
    rng = random.Random(f"{s.seed}:{s}")  # noqa: S311 (a reproducible simulation)
    slots = s.gateways
    crashes: dict[int, float] = {}
    joins: dict[int, float] = {}
    if s.churn:
        changes = max(s.gateways // 10, 1)
        for slot in rng.sample(range(s.gateways), changes):
            crashes[slot] = T0 + rng.uniform(0.05, 0.95) * s.span
        for i in range(changes):
            joins[s.gateways + i] = T0 + rng.uniform(0.05, 0.95) * s.span
        slots += changes
    churn = Churn(crashes, joins)
    gateway_weights = _zipf(slots, s.skewed)
    rng.shuffle(gateway_weights)
    cum_gateways = list(itertools.accumulate(gateway_weights))
    cum_keys = list(itertools.accumulate(_zipf(s.keys, s.skewed)))
    rate = s.load * s.limit * s.keys / s.window
    times: list[float] = []
    chosen: list[int] = []
    keys: list[int] = []
    t = T0
    end = T0 + s.span
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            break
        # A request for a gateway that is down (crashed, or not joined yet) goes to another one.
        for _ in range(64):
            slot = bisect.bisect(cum_gateways, rng.random() * cum_gateways[-1])
            if churn.alive(slot, t):
                break
        times.append(t)
        chosen.append(slot)
        keys.append(bisect.bisect(cum_keys, rng.random() * cum_keys[-1]))
    return Arrivals(times, chosen, keys, churn, slots)


@dataclass
class Outcome:
    """Admissions per (key, window) and store operations of one limiter over one scenario."""

    name: str
    admitted: dict[tuple[int, int], int] = field(default_factory=dict)
    operations: int = 0
    refused: int = 0

    def admit(self, key: int, t: float, window: int) -> None:
        slot = (key, int(t // window))
        self.admitted[slot] = self.admitted.get(slot, 0) + 1


@dataclass(frozen=True)
class Figures:
    over: float  # % of the limit units demand could use
    worst_over: int  # most admitted above the limit in one key-window
    under: float
    ops_per_admitted: float


def figures(outcome: Outcome, demand: dict[tuple[int, int], int], limit: int) -> Figures:
    due = over = under = worst = 0
    for slot, wanted in demand.items():
        could = min(wanted, limit)
        got = outcome.admitted.get(slot, 0)
        due += could
        over += max(got - limit, 0)
        worst = max(worst, got - limit)
        under += max(could - got, 0)
    total = sum(outcome.admitted.values())
    return Figures(
        over / max(due, 1) * 100, max(worst, 0), under / max(due, 1) * 100, outcome.operations / max(total, 1)
    )


# -- leases: the project's protocol ---------------------------------------------------------------


class SimBucket:
    """A ``LocalBucket`` reduced to a request limit that stops traffic."""

    __slots__ = (
        "demand",
        "exhausted",
        "expires_at",
        "key",
        "last_used",
        "low_water",
        "queued",
        "rate",
        "remaining",
        "retry_at",
        "retry_delay",
        "returning",
        "sampled_at",
        "units",
        "waiters",
        "window",
    )

    def __init__(self, key: int, now: float) -> None:
        self.key = key
        self.units = 0
        self.window: int | None = None
        self.expires_at = 0.0
        self.exhausted = False
        self.queued = False
        self.waiters: deque[float] = deque()  # deadlines of the requests waiting for a lease
        self.demand = 0
        self.rate = 0.0
        self.sampled_at = now
        self.low_water = 0
        self.returning = 0
        self.last_used = now
        self.remaining = 1 << 62  # what the last grant said remains of the limit
        self.retry_at = 0.0
        self.retry_delay = 0.0

    def roll(self) -> None:
        self.units = 0
        self.window = None
        self.exhausted = False
        self.returning = 0
        self.remaining = 1 << 62
        self.retry_at = 0.0
        self.retry_delay = 0.0


class SimGateway:
    __slots__ = ("alive", "buckets", "due", "in_flight", "last_batch", "scheduled", "slot")

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.alive = True
        self.buckets: dict[int, SimBucket] = {}
        self.due: list[SimBucket] = []
        self.in_flight = False
        self.scheduled = False
        self.last_batch = float("-inf")


class LeaseSim:
    """Gateways running the client's leasing rules against the service's counter code."""

    def __init__(
        self,
        s: Scenario,
        config: ClientConfig,
        *,
        spread: float = SPREAD,
        low_water_rule: Callable[[float, float, int | None], int] = low_water,
        name: str = "leases (this project)",
    ) -> None:
        self.s = s
        self.config = config
        self.spread = spread
        self.low_water = low_water_rule
        self.now = T0
        # Rounded up: a grant's time left in the window is never longer than it is.
        self.store = MemoryCounterBackend(clock_ms=lambda: math.ceil(self.now * 1000))
        self.events: list[tuple[float, int, str, Any]] = []
        self.seq = itertools.count()
        self.outcome = Outcome(name)
        self.gateways: dict[int, SimGateway] = {}
        self.crashed_at: dict[int, float] = {}
        # Gateways granted units since the last scan, or still holding some: the only ones it visits.
        self.holding: set[SimGateway] = set()
        # Answers come from a replica with pools (``LeaseBatchAnswer.pooled``).
        self.pooled = False

    def at(self, t: float, kind: str, payload: Any) -> None:
        heapq.heappush(self.events, (t, next(self.seq), kind, payload))

    def member_count(self) -> int:
        alive = len(self.gateways) - len(self.crashed_at)
        recent = sum(1 for t in self.crashed_at.values() if self.now - t < MEMBERSHIP_TTL)
        return max(alive + recent, 1)

    def run(self, a: Arrivals) -> Outcome:
        for slot in range(a.slots_total):
            if slot not in a.churn.joins:
                self.gateways[slot] = SimGateway(slot)
        for slot, t in a.churn.joins.items():
            self.at(t, "join", slot)
        for slot, t in a.churn.crashes.items():
            self.at(t, "crash", slot)
        self.at(T0 + self.config.idle_return, "scan", None)
        end = T0 + self.s.span
        i, n = 0, len(a.times)
        while True:
            next_arrival = a.times[i] if i < n else end
            if self.events and self.events[0][0] <= next_arrival:
                t, _, kind, payload = heapq.heappop(self.events)
                if t >= end:
                    break
                self.now = t
                self.handle(kind, payload)
                continue
            if i >= n:
                break
            self.now = next_arrival
            self.request(self.gateways[a.slots[i]], a.keys[i])
            i += 1
        self.outcome.operations = self.store.stats.operations
        return self.outcome

    def handle(self, kind: str, payload: Any) -> None:
        if kind == "send":
            self.send(payload)
        elif kind == "answer":
            gateway, sent_at, buckets, grants = payload
            self.answer(gateway, sent_at, buckets, grants)
        elif kind == "scan":
            self.scan()
            self.at(self.now + self.config.idle_return, "scan", None)
        elif kind == "join":
            self.gateways[payload] = SimGateway(payload)
        elif kind == "crash":
            # Its leased units are stranded until their window ends; membership forgets it later.
            self.gateways[payload].alive = False
            self.crashed_at[payload] = self.now

    def request(self, gateway: SimGateway, key: int) -> None:
        """``ThrottleClient._take`` for one request, then ``settle``'s wait if a lease is on its way."""
        now = self.now
        bucket = gateway.buckets.get(key)
        if bucket is None:
            bucket = gateway.buckets[key] = SimBucket(key, now)
        bucket.demand += 1
        bucket.last_used = now
        if bucket.window is not None and now >= bucket.expires_at:
            bucket.roll()
        if bucket.units > 0 and not bucket.waiters:
            bucket.units -= 1
            self.outcome.admit(key, now, self.s.window)
            if runs_low(bucket.units, bucket.low_water) and not bucket.exhausted:
                self.want(gateway, bucket)
        elif bucket.exhausted and now < bucket.retry_at:
            self.outcome.refused += 1
        else:
            if bucket.exhausted:
                bucket.retry_at = now + self.config.max_wait
            self.want(gateway, bucket)
            bucket.waiters.append(now + self.config.max_wait)

    def want(self, gateway: SimGateway, bucket: SimBucket) -> None:
        if not bucket.queued:
            bucket.queued = True
            gateway.due.append(bucket)
            self.schedule(gateway)

    def schedule(self, gateway: SimGateway) -> None:
        if gateway.alive and gateway.due and not (gateway.in_flight or gateway.scheduled):
            gateway.scheduled = True
            self.at(max(self.now, gateway.last_batch + self.config.tick), "send", gateway)

    def scan(self) -> None:
        """``ThrottleClient._scan``: idle buckets give their units back."""
        idle = self.config.idle_return
        now = self.now
        for gateway in list(self.holding):
            held = False
            for bucket in gateway.buckets.values():
                if bucket.units > 0 and now - bucket.last_used >= idle and bucket.window is not None:
                    if now < bucket.expires_at:
                        bucket.returning += bucket.units
                        self.want(gateway, bucket)
                    bucket.units = 0
                held = held or bucket.units > 0
            if not (held and gateway.alive):
                self.holding.discard(gateway)

    def send(self, gateway: SimGateway) -> None:
        """``ThrottleClient._send``: one batch, applied by the store now, answered ``RTT`` later."""
        gateway.scheduled = False
        if not gateway.alive:
            return
        now = self.now
        due, gateway.due = gateway.due, []
        requests: list[LeaseRequest] = []
        sent: list[SimBucket] = []
        for bucket in due:
            bucket.queued = False
            if bucket.window is not None and now >= bucket.expires_at:
                bucket.roll()
            elapsed = now - bucket.sampled_at
            if elapsed > 0:
                bucket.rate = next_rate(bucket.rate, bucket.demand, elapsed)
                bucket.demand = 0
                bucket.sampled_at = now
            want = 0
            if (not bucket.exhausted or bucket.waiters) and now - bucket.last_used < self.config.idle_return:
                cap = None
                if self.pooled:
                    time_left = bucket.expires_at - now if bucket.window is not None else math.inf
                    cap = reserve_cap(
                        bucket.remaining, self.member_count(), time_left, self.config.idle_return
                    )
                want = lease_want(
                    bucket.rate, self.config.lease_horizon, bucket.units, len(bucket.waiters), cap
                )
            if not (want or bucket.returning):
                continue
            limit = self.s.limit
            requests.append(
                LeaseRequest(str(bucket.key), limit, self.s.window, want, bucket.window, bucket.returning)
            )
            bucket.returning = 0
            sent.append(bucket)
        if not requests:
            return
        gateway.last_batch = now
        gateway.in_flight = True
        grants, delay = self.lease(gateway, requests)
        self.at(now + delay, "answer", (gateway, now, sent, grants))

    def lease(self, gateway: SimGateway, requests: list[LeaseRequest]) -> tuple[list[LeaseGrant], float]:
        """Throttle-sync asks the store for the gateway's batch: grants, and when they are back."""
        return run_sync(self.store.lease(requests, gateways=self.member_count(), spread=self.spread)), RTT

    def answer(
        self, gateway: SimGateway, sent_at: float, buckets: Sequence[SimBucket], grants: Sequence[LeaseGrant]
    ) -> None:
        gateway.in_flight = False
        if not gateway.alive:
            return
        now = self.now
        prefetch = self.config.prefetch
        for bucket, grant in zip(buckets, grants, strict=True):
            if bucket.window != grant.window:
                bucket.units = 0
                bucket.window = grant.window
                bucket.exhausted = False
            bucket.expires_at = sent_at + grant.window_ends_in_ms / 1000
            bucket.units += grant.granted
            if grant.granted:
                self.holding.add(gateway)
            bucket.exhausted = grant.remaining <= 0
            bucket.remaining = grant.remaining
            if bucket.exhausted:
                bucket.retry_delay = exhausted_retry(bucket.retry_delay, grant.retry_in_ms / 1000)
                bucket.retry_at = now + bucket.retry_delay if grant.retry_in_ms else math.inf
            else:
                bucket.retry_delay = 0.0
            cap = None
            if self.pooled:
                time_left = bucket.expires_at - now
                cap = reserve_cap(grant.remaining, self.member_count(), time_left, self.config.idle_return)
            bucket.low_water = self.low_water(bucket.rate, prefetch, cap)
            waiters = bucket.waiters
            if not bucket.exhausted and wants_more_after_grant(bucket.units, bucket.low_water, len(waiters)):
                self.want(gateway, bucket)
            while waiters and waiters[0] < now:
                waiters.popleft()
                self.outcome.refused += 1
            while waiters and bucket.units > 0 and now < bucket.expires_at:
                waiters.popleft()
                bucket.units -= 1
                self.outcome.admit(bucket.key, now, self.s.window)
            if bucket.exhausted:
                self.outcome.refused += len(waiters)
                waiters.clear()
        self.schedule(gateway)


class TierSim(LeaseSim):
    """The replica tier as shipped (``ReplicaPools``, ``APIM_LEASE_POOLS``): each throttle-sync
    replica serves the gateways ``slot % replicas`` from its own pools and goes to the store only
    when a pool runs out, or to give back idle units (its ``sweep``, every ``idle_return``, as the
    service's background task). A batch answered from the pool takes one round trip; one that
    needed the store, two."""

    def __init__(
        self,
        s: Scenario,
        config: ClientConfig,
        *,
        replicas: int = 2,
        pool: PoolConfig | None = None,
        low_water_rule: Callable[[float, float, int | None], int] = low_water,
        name: str = "",
    ) -> None:
        super().__init__(s, config, low_water_rule=low_water_rule, name=name or f"tier: {replicas} replicas")
        self.replicas = [
            ReplicaPools(self.store, f"r{i}", config=pool, clock=lambda: self.now) for i in range(replicas)
        ]
        self._served: list[int] = []
        self._served_of = -1
        self.pooled = True
        self.watch = self.replicas[0].config.watch if self.replicas[0].config.rebalance is not None else 0.0
        if self.watch:
            self.at(T0 + self.watch, "watch", None)
        # With ``record_stranded``: at each window's end, where the units not admitted sat.
        self.stranded: list[Stranded] = []

    def record_stranded(self) -> None:
        """Look at where the units sit at each window's end (``--stranded``)."""
        windows = round(self.s.span / self.s.window)
        for k in range(1, windows + 1):
            # A round trip before the end: a lease sent later may already count in the next window.
            self.at(T0 + k * self.s.window - RTT, "stranded", None)

    def served(self, replica: int) -> int:
        if self._served_of != len(self.gateways):
            self._served_of = len(self.gateways)
            self._served = [0] * len(self.replicas)
            for slot in self.gateways:
                self._served[slot % len(self.replicas)] += 1
        return max(self._served[replica], 1)

    def scan(self) -> None:
        super().scan()
        for pools in self.replicas:
            run_sync(pools.sweep(replicas=len(self.replicas)))

    def handle(self, kind: str, payload: Any) -> None:
        if kind == "watch":
            for pools in self.replicas:
                run_sync(pools.watch(replicas=len(self.replicas)))
            self.at(self.now + self.watch, "watch", None)
        elif kind == "stranded":
            self.stranded.append(self.units_held())
        else:
            super().handle(kind, payload)

    def units_held(self) -> Stranded:
        """Units of the current window not admitted yet, over every key: in gateways' buckets, in
        each replica's pools, left at the store; and the gateways of each replica told nothing
        remains."""
        window = int(self.now // self.s.window)
        buckets = sum(
            b.units
            for g in self.gateways.values()
            if g.alive
            for b in g.buckets.values()
            if b.window == window
        )
        pools = [pools.held_in(window, self.s.window) for pools in self.replicas]
        used = self.store.used_in(window, self.s.window)
        store = self.s.limit * self.s.keys - used
        refused = [0] * len(self.replicas)
        for g in self.gateways.values():
            if g.alive and any(b.exhausted and b.window == window for b in g.buckets.values()):
                refused[g.slot % len(self.replicas)] += 1
        return Stranded(window, buckets, pools, store, refused)

    def lease(self, gateway: SimGateway, requests: list[LeaseRequest]) -> tuple[list[LeaseGrant], float]:
        replica = gateway.slot % len(self.replicas)
        before = self.store.stats.operations
        coro = self.replicas[replica].lease(
            requests, gateways=self.served(replica), replicas=len(self.replicas), gateway_spread=self.spread
        )
        grants = run_sync(coro)
        return grants, RTT if self.store.stats.operations == before else 2 * RTT


class KeyedTierSim(TierSim):
    """The tier with ``APIM_LEASE_KEYS_BY_REPLICA``: each gateway sends each key to its owner
    replica (``rendezvous_order``, as ``ReplicaRouter`` does), one call per replica of a batch, at
    once; each replica counts the gateways that called it in the last 5 s, as the service does."""

    def __init__(self, s: Scenario, config: ClientConfig, *, replicas: int = 2, name: str = "") -> None:
        pool = PoolConfig(keys_by_replica=True)
        super().__init__(s, config, replicas=replicas, pool=pool, name=name or "tier, keys by replica")
        self._names = [f"r{i}" for i in range(replicas)]
        self._owners: dict[str, int] = {}
        self._callers: list[dict[int, float]] = [{} for _ in range(replicas)]

    def owner(self, key: str) -> int:
        owner = self._owners.get(key)
        if owner is None:
            owner = self._owners[key] = rendezvous_order(self._names, key)[0]
        return owner

    def served(self, replica: int) -> int:
        callers = self._callers[replica]
        return max(sum(1 for at in callers.values() if self.now - at < 5.0), 1)

    def lease(self, gateway: SimGateway, requests: list[LeaseRequest]) -> tuple[list[LeaseGrant], float]:
        before = self.store.stats.operations
        by_replica: dict[int, list[int]] = {}
        for i, r in enumerate(requests):
            by_replica.setdefault(self.owner(r.key), []).append(i)
        grants: list[LeaseGrant | None] = [None] * len(requests)
        for replica, indices in by_replica.items():
            self._callers[replica][gateway.slot] = self.now
            coro = self.replicas[replica].lease(
                [requests[i] for i in indices],
                gateways=self.served(replica),
                replicas=len(self.replicas),
                gateway_spread=self.spread,
            )
            for i, grant in zip(indices, run_sync(coro), strict=True):
                grants[i] = grant
        answered = [g for g in grants if g is not None]
        return answered, RTT if self.store.stats.operations == before else 2 * RTT


@dataclass(frozen=True)
class Stranded:
    window: int
    buckets: int
    pools: list[int]
    store: int
    spent_gateways: list[int]

    def line(self, demand: int, admitted: int) -> str:
        return (
            f"    window {self.window % 1000:>3}: demand {demand:>6} admitted {admitted:>6}; "
            f"unspent: gateways {self.buckets}, pools {self.pools}, store {self.store}; "
            f"gateways told spent, per replica {self.spent_gateways}"
        )


# -- the references ---------------------------------------------------------------------------------


def periodic_sync(s: Scenario, a: Arrivals, interval: float) -> Outcome:
    """Kong / APISIX: admit while "shared count at the last sync + own admits since" is under the limit."""
    out = Outcome(f"periodic sync {interval:g} s (Kong/APISIX)")
    shared: dict[tuple[int, int], int] = {}
    # (slot, key) -> [window, shared seen, unsynced, next sync]
    local: dict[tuple[int, int], list[float]] = {}
    limit = s.limit
    for t, slot, key in zip(a.times, a.slots, a.keys, strict=True):
        window = int(t // s.window)
        state = local.get((slot, key))
        if state is None or state[0] != window:
            state = local[(slot, key)] = [window, 0, 0, t]
        if t >= state[3]:
            counter = (key, window)
            shared[counter] = shared.get(counter, 0) + int(state[2])
            state[1], state[2], state[3] = shared[counter], 0, t + interval
            out.operations += 2
        if state[1] + state[2] < limit:
            state[2] += 1
            out.admit(key, t, s.window)
        else:
            out.refused += 1
    return out


def per_request(s: Scenario, a: Arrivals) -> Outcome:
    """An INCR on the shared counter for every request, admitted while the count is within the limit."""
    out = Outcome("store operation per request")
    counters: dict[tuple[int, int], int] = {}
    for t, key in zip(a.times, a.keys, strict=True):
        counter = (key, int(t // s.window))
        counters[counter] = counters.get(counter, 0) + 1
        out.operations += 1
        if counters[counter] <= s.limit:
            out.admit(key, t, s.window)
        else:
            out.refused += 1
    return out


def demand_of(s: Scenario, a: Arrivals) -> dict[tuple[int, int], int]:
    demand: dict[tuple[int, int], int] = {}
    for t, key in zip(a.times, a.keys, strict=True):
        slot = (key, int(t // s.window))
        demand[slot] = demand.get(slot, 0) + 1
    return demand


def no_reserve_low_water(rate: float, prefetch: float, cap: int | None = None) -> int:
    """A candidate (``--candidates``): rounded down, a key slower than one request per ``prefetch``
    keeps no unit in reserve and its next request waits for its lease."""
    return math.floor(rate * prefetch)


def previous_design(s: Scenario) -> LeaseSim:
    """The sizing before 2026-12-07: leases of 0.05 s of the recent rate."""
    return LeaseSim(s, ClientConfig(lease_horizon=0.05), name="leases, previous sizing")


def candidate_design(s: Scenario) -> LeaseSim:
    name = "candidate: no reserve for slow keys"
    return LeaseSim(s, ClientConfig(), low_water_rule=no_reserve_low_water, name=name)


def simulate_leases(s: Scenario, config: ClientConfig | None = None) -> tuple[Outcome, Figures]:
    a = arrivals(s)
    out = LeaseSim(s, config or ClientConfig()).run(a)
    return out, figures(out, demand_of(s, a), s.limit)


def rebalancing_tier(s: Scenario) -> TierSim:
    """The tier with ``APIM_LEASE_REBALANCE=1`` (``PoolConfig.rebalance``)."""
    return TierSim(s, ClientConfig(), replicas=2, pool=PoolConfig(rebalance=1.0), name="tier, rebalancing")


def compare(
    s: Scenario, candidates: bool = False, stranded: bool = False
) -> Iterator[tuple[str, Figures, list[str]]]:
    """Every limiter's figures on one scenario; with ``stranded``, for the tier rows, a line per
    window on where the units not admitted sat at its end."""
    a = arrivals(s)
    demand = demand_of(s, a)
    sims = [LeaseSim(s, ClientConfig()), previous_design(s)]
    if candidates:
        sims.append(candidate_design(s))
    tiers = [TierSim(s, ClientConfig(), replicas=2), KeyedTierSim(s, ClientConfig()), rebalancing_tier(s)]
    tiers.append(
        TierSim(
            s,
            ClientConfig(),
            replicas=2,
            low_water_rule=no_reserve_low_water,
            name="tier, no gateway reserve",
        )
    )
    for tier in tiers:
        if stranded:
            tier.record_stranded()
    sims += tiers
    outcomes = [sim.run(a) for sim in sims]
    outcomes += [periodic_sync(s, a, 0.1), periodic_sync(s, a, 0.02), per_request(s, a)]
    per_window_demand: dict[int, int] = {}
    for (_, window), wanted in demand.items():
        per_window_demand[window] = per_window_demand.get(window, 0) + wanted
    for sim, out in itertools.zip_longest(sims, outcomes):
        lines: list[str] = []
        if isinstance(sim, TierSim):
            for held in sim.stranded:
                admitted = sum(n for (_, window), n in out.admitted.items() if window == held.window)
                lines.append(held.line(per_window_demand.get(held.window, 0), admitted))
        yield out.name, figures(out, demand, s.limit), lines


def scenarios(full: bool, seed: int) -> Iterator[Scenario]:
    for skewed in (False, True):
        for load in LOADS:
            for g in GATEWAY_COUNTS:
                yield Scenario(g, load, 1, skewed, seed=seed)
    long_counts = GATEWAY_COUNTS if full else (8, 1024)
    for window in (60, 3600):
        # 5x of an hourly limit is 180,000 requests a row: only with --full.
        long_loads = LOADS if full else (1.0, 5.0) if window == 60 else (1.0,)
        for skewed in (False, True):
            for load in long_loads:
                for g in long_counts:
                    yield Scenario(g, load, window, skewed, seed=seed)
    for window in (1, 60):
        for g in (8, 64, 1024):
            yield Scenario(g, 5.0, window, churn=True, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="every gateway count and load for 1 min and 1 h")
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--candidates", action="store_true", help="also sizing rules not shipped")
    parser.add_argument(
        "--stranded",
        action="store_true",
        help="for the tier rows, where the units not admitted sat at each window's end",
    )
    parser.add_argument("--gateways", type=int, nargs="*", help="only these gateway counts")
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        "simulated: limit 1,000 per 1 s (3 windows), 6,000 per 1 min, 36,000 per 1 h (1 window each), "
        f"split over {SKEWED_KEYS} keys when skewed; Zipf s={ZIPF_S:g}; RTT {RTT * 1000:g} ms; "
        f"seed {args.seed}"
    )
    print(f"{'scenario':<34} {'limiter':<34} {'over':>7} {'worst':>6} {'under':>7} {'ops/adm':>8}")
    for s in scenarios(args.full, args.seed):
        if args.gateways and s.gateways not in args.gateways:
            continue
        for name, f, lines in compare(s, args.candidates, args.stranded):
            print(
                f"{s.label():<34} {name:<34} {f.over:>6.2f}% {f.worst_over:>6} {f.under:>6.2f}% "
                f"{f.ops_per_admitted:>8.4f}",
                flush=True,
            )
            for line in lines:
                print(line)
    print(f"simulated in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
