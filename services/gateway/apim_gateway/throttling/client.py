"""The gateway's side of exact shared rate limits: local buckets of leased units.

``try_acquire`` is synchronous and O(1): it takes one unit from the key's bucket, or refuses once
the shared quota of the window is gone. A bandwidth limit counts bytes with the same leases: its
call (``take=0``) is admitted on a lease asked when it starts (``_ask``), ``consume`` takes the
bytes of its bodies from it as they pass, bytes beyond it are counted like those of a quota that
does not stop traffic, and ``flush`` hands both in before the call ends: the call that crosses the
limit completes and the next, on any gateway, is refused.

A background task sends, at most once per sync tick, one batch holding every bucket that runs
low (prefetch), every unused unit to give back, and every unit admitted beyond a quota that does
not stop traffic. A request that finds its bucket empty while a lease is on its way waits for it
(``acquire``, bounded by ``max_wait``) instead of being refused: this is what keeps the first
requests of each window from being turned away.

If throttle-sync or its Redis cannot be reached, the client falls back to a local share of every
limit (limit / last known gateway count, at least 1) on its own clock's windows, logs it and sets
``apim_gateway_throttle_fallback``; a request never fails because of the outage. Heartbeats keep
probing, and the first one that succeeds puts the client back on leases.

No unit is lost on the way in or out of fallback. Units leased for a window that is still on stay
in their bucket and serve it again once the client is back on leases; units admitted on the local
share are reported as counted, and only those (units admitted with a lease are already in the
shared counter). A batch that fails keeps its counted units for the next batch: counted twice at
worst, which can only refuse sooner, where lost they could let the window admit more than the
limit. The units it gave back are not sent again, for the opposite reason; they lapse with their
window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge

from apim_common.tasks import cancel_and_wait
from apim_gateway.throttling.sizing import (
    exhausted_retry,
    lease_want,
    low_water,
    next_rate,
    reserve_cap,
    runs_low,
    wants_more_after_grant,
)
from apim_gateway.throttling.transport import ThrottleTransport

logger = logging.getLogger(__name__)

FALLBACK = Gauge(
    "apim_gateway_throttle_fallback",
    "1 while the gateway enforces a local share of each limit because throttle-sync is unreachable",
    ["gateway"],
)
FALLBACK_ENTRIES = Counter(
    "apim_gateway_throttle_fallback_entries", "Times the gateway entered throttle fallback", ["gateway"]
)
FALLBACK_DECISIONS = Counter(
    "apim_gateway_throttle_fallback_decisions",
    "Rate-limit decisions taken on the local share during a throttle-sync outage",
    ["gateway"],
)
LEASE_BATCHES = Counter(
    "apim_gateway_throttle_lease_batches", "Lease batches sent to throttle-sync", ["gateway"]
)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    # At most one lease batch per tick.
    tick: float = 0.01
    # A lease asks for the units the key's recent rate needs over this long.
    lease_horizon: float = 0.2
    # Ask for more when the bucket holds less than this long's worth at the recent rate.
    prefetch: float = 0.03
    # How long a request may wait for a lease on its way before it is refused.
    max_wait: float = 0.05
    # A bucket unused this long gives its units back to the shared counter.
    idle_return: float = 0.25
    heartbeat_interval: float = 1.0
    # While in fallback, how often to probe throttle-sync.
    probe_interval: float = 0.25
    request_timeout: float = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    admitted: bool
    limit: int
    # An estimate across gateways: units unleased in the shared counter plus those in this bucket.
    remaining: int
    # Seconds until the window (and the quota) resets.
    reset_after: float
    # The shared window whose unit admitted the request (None without a lease: fallback, refusal).
    window: int | None = None
    # No unit yet but a lease is on its way: ``acquire`` waits for it.
    pending: bool = False
    fallback: bool = False

    @property
    def retry_after(self) -> int:
        return max(math.ceil(self.reset_after), 1)


class LocalBucket:
    """One counter key's leased units for the current shared window."""

    __slots__ = (
        "asking",
        "counted",
        "demand",
        "exhausted",
        "expires_at",
        "key",
        "last_used",
        "limit",
        "local_count",
        "local_window",
        "low_water",
        "metered",
        "queued",
        "rate",
        "retry_at",
        "retry_delay",
        "returning",
        "sampled_at",
        "shared_remaining",
        "taken",
        "units",
        "unshared",
        "waiter",
        "waiting",
        "window",
        "window_seconds",
    )

    def __init__(self, key: str, limit: int, window_seconds: int, now: float) -> None:
        self.key = key
        self.limit = limit
        self.window_seconds = window_seconds
        self.units = 0
        # Units of ``window`` this gateway admitted: its share already spent if Redis goes away.
        self.taken = 0
        self.window: int | None = None
        self.expires_at = 0.0
        self.shared_remaining = limit
        self.exhausted = False
        # An exhausted bucket whose replica may get units back asks again from ``retry_at``.
        self.retry_at = 0.0
        self.retry_delay = 0.0
        self.queued = False
        self.waiter: asyncio.Event | None = None
        self.waiting = 0
        # Units of pending decisions since the last batch: a request told to wait is only counted
        # in ``waiting`` once its ``settle`` runs, which may be after the sync task sent the batch.
        self.asking = 0
        self.demand = 0
        self.rate = 0.0
        self.sampled_at = now
        self.low_water = 0
        # Bytes of bandwidth calls: leased only to calls asking, given back when they end.
        self.metered = False
        self.counted = 0
        self.returning = 0
        self.last_used = now
        self.local_window = -1
        # Units of the local share used in ``local_window``, and those the shared counter has not seen.
        self.local_count = 0
        self.unshared = 0

    def roll(self) -> None:
        """The window ended: leased units of it are void."""
        self.units = 0
        self.taken = 0
        self.window = None
        self.exhausted = False
        self.shared_remaining = self.limit
        self.returning = 0
        self.retry_at = 0.0
        self.retry_delay = 0.0


class ThrottleClient:
    def __init__(
        self,
        transport: ThrottleTransport,
        *,
        gateway_id: str | None = None,
        config: ClientConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.gateway_id = gateway_id or f"gw-{uuid.uuid4().hex[:12]}"
        self.config = config or ClientConfig()
        self._clock = clock
        self._wall = wall_clock
        self._buckets: dict[str, LocalBucket] = {}
        self._due: list[LocalBucket] = []
        self._wake = asyncio.Event()
        self._probe = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._last_batch = float("-inf")
        self._next_scan = 0.0
        self.gateways = 1
        # Answered by a replica with pools: reserves are kept within ``reserve_cap``.
        self.pooled = False
        self.fallback = False
        self.batches = 0
        # The batch on its way to throttle-sync, which ``flush`` waits for.
        self._in_flight: asyncio.Future[None] | None = None
        self._fallback_gauge = FALLBACK.labels(self.gateway_id)
        self._fallback_decisions = FALLBACK_DECISIONS.labels(self.gateway_id)
        self._fallback_gauge.set(0)

    def __contains__(self, key: str) -> bool:
        """Whether the client holds a bucket for ``key`` (buckets unused for two windows are dropped)."""
        return key in self._buckets

    # -- the hot path ---------------------------------------------------------------------------

    def try_acquire(
        self, key: str, limit: int, window_seconds: int, *, stop_on_quota_reach: bool = True, take: int = 1
    ) -> Decision:
        """``take`` units from the key's bucket: 1 for a request; 0 for a bandwidth call, decided on
        the shared count of bytes (``_ask``), its bytes following through ``consume``."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = LocalBucket(key, limit, window_seconds, now)
        elif bucket.window_seconds != window_seconds:
            bucket.window_seconds = window_seconds
            bucket.limit = limit
            bucket.roll()
        else:
            bucket.limit = limit
        bucket.demand += 1
        bucket.last_used = now
        if self.fallback:
            return self._local_share(bucket, stop_on_quota_reach, take)
        if take == 0 and stop_on_quota_reach:
            return self._ask(bucket, now)
        return self._take(bucket, now, stop_on_quota_reach, take)

    def _ask(self, bucket: LocalBucket, now: float) -> Decision:
        """A bandwidth call is decided on the shared count as it is now, never on bytes leased for an
        earlier call: another gateway's call may have spent them since, its size being unknown
        until it ended. The bucket gives back what it holds and asks again, in one batch; calls
        arriving while that answer is on its way share it."""
        bucket.metered = True
        if bucket.window is not None and now >= bucket.expires_at:
            bucket.roll()
        reset_after = max(bucket.expires_at - now, 0.0)
        if bucket.waiting:
            if bucket.units > 0:  # the answer the waiting calls asked for is here
                return Decision(True, bucket.limit, bucket.units, reset_after, bucket.window)
        elif bucket.units > 0:
            bucket.returning += bucket.units
            bucket.units = 0
        elif bucket.exhausted:
            return Decision(False, bucket.limit, 0, reset_after, bucket.window)
        bucket.asking += 1
        self._want(bucket)
        return Decision(False, bucket.limit, 0, reset_after, None, pending=True)

    def _take(self, bucket: LocalBucket, now: float, stop_on_quota_reach: bool, take: int = 1) -> Decision:
        if bucket.window is not None and now >= bucket.expires_at:
            bucket.roll()
        reset_after = max(bucket.expires_at - now, 0.0)
        if bucket.units > 0:
            bucket.units -= take
            bucket.taken += take
            if runs_low(bucket.units, bucket.low_water) and not (bucket.exhausted or bucket.metered):
                self._want(bucket)
            return Decision(
                True, bucket.limit, bucket.units + bucket.shared_remaining, reset_after, bucket.window
            )
        if not stop_on_quota_reach:
            # Counted against the quota for billing, never refused.
            bucket.counted += take
            self._want(bucket)
            return Decision(True, bucket.limit, 0, reset_after, bucket.window)
        if bucket.exhausted:
            if now < bucket.retry_at:
                return Decision(False, bucket.limit, 0, reset_after, bucket.window)
            bucket.retry_at = now + self.config.max_wait  # one ask at a time: its answer sets the next
        bucket.asking += max(take, 1)
        self._want(bucket)
        return Decision(False, bucket.limit, 0, reset_after, None, pending=True)

    def peek(self, key: str, limit: int, window_seconds: int) -> Decision:
        """Whether the key's window is known to be spent, taking no unit and asking for none.

        Refused only when it is known: the bucket holds no unit and throttle-sync's last answer for
        this window said none is left (or, in fallback, the local share is used up). A key this
        gateway has not counted in the window is admitted; its first unit is then decided as usual.
        """
        bucket = self._buckets.get(key)
        if bucket is None or bucket.window_seconds != window_seconds:
            return Decision(True, limit, limit, 0.0)
        if self.fallback:
            wall = self._wall()
            window = int(wall // window_seconds)
            used = bucket.local_count if bucket.local_window == window else 0
            share = max(limit // max(self.gateways, 1), 1) if limit > 0 else 0
            reset_after = (window + 1) * window_seconds - wall
            return Decision(used < share, limit, max(share - used, 0), reset_after, fallback=True)
        now = self._clock()
        if bucket.window is None or now >= bucket.expires_at:
            return Decision(True, limit, limit, 0.0)
        reset_after = bucket.expires_at - now
        if bucket.units <= 0 and bucket.exhausted:
            return Decision(False, limit, 0, reset_after, bucket.window)
        return Decision(True, limit, bucket.units + bucket.shared_remaining, reset_after, bucket.window)

    async def acquire(
        self, key: str, limit: int, window_seconds: int, *, stop_on_quota_reach: bool = True, take: int = 1
    ) -> Decision:
        """``try_acquire``, then ``settle`` if a lease is on its way."""
        decision = self.try_acquire(
            key, limit, window_seconds, stop_on_quota_reach=stop_on_quota_reach, take=take
        )
        if decision.pending:
            return await self.settle(key, stop_on_quota_reach=stop_on_quota_reach, take=take)
        return decision

    async def settle(self, key: str, *, stop_on_quota_reach: bool = True, take: int = 1) -> Decision:
        """After a pending decision: wait up to ``max_wait`` for the lease rather than refusing."""
        bucket = self._buckets[key]
        # Every bandwidth call waits for an answer: it gets the whole time a batch may take (and
        # the local share if the batch fails), where only a window's first request waits for one.
        wait = self.config.request_timeout if take == 0 else self.config.max_wait
        deadline = self._clock() + wait
        while (left := deadline - self._clock()) > 0:
            waiter = bucket.waiter
            if waiter is None:
                waiter = bucket.waiter = asyncio.Event()
            bucket.waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await waiter.wait()
            finally:
                bucket.waiting -= 1
            if self.fallback:
                return self._local_share(bucket, stop_on_quota_reach, take)
            decision = self._take(bucket, self._clock(), stop_on_quota_reach, take)
            if not decision.pending:
                return decision
        return Decision(False, bucket.limit, 0, max(bucket.expires_at - self._clock(), 0.0), None)

    def _want(self, bucket: LocalBucket) -> None:
        if not bucket.queued:
            bucket.queued = True
            self._due.append(bucket)
            self._wake.set()

    def consume(self, key: str, amount: int) -> None:
        """``amount`` more units (bytes) of a call admitted with ``take=0``, counted as they pass.

        They come out of the bucket's lease; what the lease cannot cover is counted into the shared
        counter with the next batch, as units admitted beyond a quota that does not stop traffic.
        The key's next call then waits for that batch, so it is refused once the limit is reached.
        """
        bucket = self._buckets.get(key)
        if bucket is None or amount <= 0:
            return
        now = self._clock()
        bucket.demand += amount
        bucket.last_used = now
        if self.fallback:
            self._local_window(bucket, self._wall())
            bucket.local_count += amount
            bucket.unshared += amount
            return
        if bucket.window is not None and now >= bucket.expires_at:
            bucket.roll()
        leased = min(amount, bucket.units)
        bucket.units -= leased
        bucket.taken += leased
        if leased < amount:
            bucket.counted += amount - leased
            self._want(bucket)
        elif runs_low(bucket.units, bucket.low_water) and not (bucket.exhausted or bucket.metered):
            self._want(bucket)

    async def flush(self, keys: list[str]) -> None:
        """At the end of a bandwidth call: its bytes beyond its lease, and the leased bytes it did not
        spend, go to the shared counter now, and the call ends once the counter has them; so the
        next call, on any gateway, is decided on every byte before it."""
        # A batch on its way may carry some of them, and so may the one the sync task sent after it.
        for _ in range(2):
            if self._in_flight is None:
                break
            await asyncio.shield(self._in_flight)
        if self.fallback:
            return
        due = False
        now = self._clock()
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if (
                bucket.units > 0
                and not bucket.waiting
                and bucket.window is not None
                and now < bucket.expires_at
            ):
                bucket.returning += bucket.units  # unspent: the next call, anywhere, may have them
                bucket.units = 0
            if bucket.counted or bucket.returning:
                self._want(bucket)
                due = True
        if not due:
            return
        try:
            await self._send(self._clock())
        except Exception as exc:
            self._enter_fallback(exc)

    @staticmethod
    def _local_window(bucket: LocalBucket, wall: float) -> int:
        window = int(wall // bucket.window_seconds)
        if window != bucket.local_window:
            bucket.local_window = window
            bucket.local_count = 0
            bucket.unshared = 0
        return window

    def _local_share(self, bucket: LocalBucket, stop_on_quota_reach: bool, take: int = 1) -> Decision:
        self._fallback_decisions.inc()
        wall = self._wall()
        window = self._local_window(bucket, wall)
        share = max(bucket.limit // max(self.gateways, 1), 1) if bucket.limit > 0 else 0
        reset_after = (window + 1) * bucket.window_seconds - wall
        if bucket.local_count < share or not stop_on_quota_reach:
            bucket.local_count += take
            bucket.unshared += take
            return Decision(True, bucket.limit, share - bucket.local_count, reset_after, fallback=True)
        return Decision(False, bucket.limit, 0, reset_after, fallback=True)

    # -- the sync task --------------------------------------------------------------------------

    async def start(self) -> None:
        with contextlib.suppress(Exception):
            await self.heartbeat()
        self._tasks = [
            asyncio.create_task(self._sync_loop(), name=f"throttle-sync-{self.gateway_id}"),
            asyncio.create_task(self._heartbeat_loop(), name=f"throttle-heartbeat-{self.gateway_id}"),
        ]

    async def close(self) -> None:
        """Stop syncing and give back every unused unit (best effort)."""
        # Set first: a loop whose cancellation a library swallowed (redis-py, under a timeout)
        # still ends at its next turn, so closing never waits forever.
        self._closing = True
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        if self.fallback:
            return
        now = self._clock()
        for bucket in self._buckets.values():
            if bucket.units > 0 and bucket.window is not None and now < bucket.expires_at:
                bucket.returning += bucket.units
                bucket.units = 0
                self._want(bucket)
        with contextlib.suppress(Exception):
            await self._send(self._clock())

    async def _sync_loop(self) -> None:
        config = self.config
        while not self._closing:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(config.tick):
                    await self._wake.wait()
            self._wake.clear()
            wait = self._last_batch + config.tick - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            now = self._clock()
            if now >= self._next_scan:
                self._next_scan = now + config.idle_return
                self._scan(now)
            if self.fallback or not self._due:
                continue
            try:
                await self._send(now)
            except Exception as exc:
                self._enter_fallback(exc)

    def _scan(self, now: float) -> None:
        """Give back units of idle buckets; forget buckets unused for two windows."""
        idle = self.config.idle_return
        for key, bucket in list(self._buckets.items()):
            unused_for = now - bucket.last_used
            if bucket.units > 0 and unused_for >= idle and bucket.window is not None:
                if now < bucket.expires_at:
                    bucket.returning += bucket.units
                    self._want(bucket)
                bucket.units = 0
            elif (
                unused_for > 2 * bucket.window_seconds + idle
                and not bucket.queued
                and not bucket.units
                and not bucket.counted
            ):
                del self._buckets[key]

    async def _send(self, now: float) -> None:
        due, self._due = self._due, []
        horizon = self.config.lease_horizon
        items: list[dict[str, Any]] = []
        sent: list[LocalBucket] = []
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
            waiting = max(bucket.waiting, bucket.asking)
            bucket.asking = 0
            # A bucket only giving back its idle units asks for none.
            if bucket.metered:  # only for calls asking now
                if waiting and not self._closing:
                    want = max(math.ceil(bucket.rate * horizon), waiting)
            elif (
                not (self._closing or (bucket.exhausted and not waiting))
                and now - bucket.last_used < self.config.idle_return
            ):
                cap = None
                if self.pooled:
                    time_left = bucket.expires_at - now if bucket.window is not None else math.inf
                    cap = reserve_cap(
                        bucket.shared_remaining, self.gateways, time_left, self.config.idle_return
                    )
                want = lease_want(bucket.rate, horizon, bucket.units, waiting, cap)
            if not (want or bucket.returning or bucket.counted):
                continue
            items.append(
                {
                    "key": bucket.key,
                    "limit": bucket.limit,
                    "windowSeconds": bucket.window_seconds,
                    "want": want,
                    "window": bucket.window,
                    "returned": bucket.returning,
                    "counted": bucket.counted,
                }
            )
            bucket.returning = bucket.counted = 0
            sent.append(bucket)
        if not items:
            return
        self._last_batch = now
        self.batches += 1
        LEASE_BATCHES.labels(self.gateway_id).inc()
        in_flight = self._in_flight = asyncio.get_running_loop().create_future()
        try:
            answer = await self._answered(
                self.transport.lease({"gatewayId": self.gateway_id, "items": items})
            )
        except BaseException:
            # The counter may have applied the batch or not: see the module docstring.
            for bucket, item in zip(sent, items, strict=True):
                bucket.counted += item["counted"]
            raise
        finally:
            in_flight.set_result(None)
            if self._in_flight is in_flight:
                self._in_flight = None
        self.gateways = max(int(answer.get("activeGateways", self.gateways)), 1)
        self.pooled = bool(answer.get("pooled", False))
        prefetch, idle = self.config.prefetch, self.config.idle_return
        for bucket, grant in zip(sent, answer["grants"], strict=True):
            window = int(grant["window"])
            if bucket.window != window:
                bucket.units = bucket.taken = 0
                bucket.window = window
                bucket.exhausted = False
            # Measured from when the batch left, so the bucket never outlives the shared window.
            bucket.expires_at = now + int(grant["windowEndsInMs"]) / 1000
            bucket.units += int(grant["granted"])
            bucket.shared_remaining = int(grant["remaining"])
            bucket.exhausted = bucket.shared_remaining <= 0
            if bucket.exhausted:
                retry = int(grant.get("retryInMs", 0)) / 1000
                bucket.retry_delay = exhausted_retry(bucket.retry_delay, retry)
                bucket.retry_at = now + bucket.retry_delay if retry > 0 else math.inf
            else:
                bucket.retry_delay = 0.0
            cap = None
            if self.pooled:
                cap = reserve_cap(bucket.shared_remaining, self.gateways, bucket.expires_at - now, idle)
            bucket.low_water = low_water(bucket.rate, prefetch, cap)
            if bucket.waiter is not None:
                bucket.waiter.set()
                bucket.waiter = None
            if bucket.metered:
                continue
            low, waiting = bucket.low_water, bucket.waiting
            if not bucket.exhausted and wants_more_after_grant(bucket.units, low, waiting):
                self._want(bucket)

    async def _answered(self, call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """``call``'s answer within ``request_timeout`` of throttle-sync's time, not of this
        gateway's: when the deadline is checked later than planned (the event loop was late: the
        process starved of CPU, a long pause), that lateness is given back, up to another
        ``request_timeout``, so an answer that came while the gateway could not read it is read
        rather than taken for an unreachable throttle-sync. Raises ``TimeoutError`` otherwise.
        The call runs in the caller's task, as under a plain ``asyncio.timeout``."""
        loop = asyncio.get_running_loop()
        timeout = self.config.request_timeout
        last = loop.time() + 2 * timeout
        timers: list[asyncio.TimerHandle] = []
        async with asyncio.timeout(None) as expiry:

            def check(planned: float) -> None:
                now = loop.time()
                late = now - planned
                if late <= self.config.tick or now >= last:
                    expiry.reschedule(now)  # expired: the call is cancelled, TimeoutError raised
                    return
                again = min(now + late, last)
                timers.append(loop.call_at(again, check, again))

            planned = loop.time() + timeout
            timers.append(loop.call_at(planned, check, planned))
            try:
                return await call
            finally:
                timers[-1].cancel()

    # -- membership and fallback ----------------------------------------------------------------

    async def heartbeat(self) -> int:
        """Announce this gateway; learn (and answer) how many are active."""
        answer = await self._answered(self.transport.heartbeat(self.gateway_id))
        self.gateways = max(int(answer.get("activeGateways", self.gateways)), 1)
        return self.gateways

    async def _heartbeat_loop(self) -> None:
        while not self._closing:
            interval = self.config.probe_interval if self.fallback else self.config.heartbeat_interval
            # Entering fallback cuts the wait short: probing starts at the probe interval.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._probe.wait()
            self._probe.clear()
            try:
                await self.heartbeat()
            except Exception as exc:
                self._enter_fallback(exc)
            else:
                self._leave_fallback()

    def _enter_fallback(self, error: BaseException) -> None:
        if self.fallback:
            return
        self.fallback = True
        self._probe.set()
        self._fallback_gauge.set(1)
        FALLBACK_ENTRIES.labels(self.gateway_id).inc()
        logger.warning(
            "throttle-sync unreachable (%s): enforcing a local share of each limit (limit / %d gateways)",
            error.__class__.__name__,
            self.gateways,
            extra={"gateway": self.gateway_id, "gateways": self.gateways},
        )
        self._due = []
        now = self._clock()
        wall = self._wall()
        for bucket in self._buckets.values():
            bucket.queued = False
            # What this gateway already admitted in the window counts against its local share. The
            # units it holds stay in the bucket, unused, for when the client is back on leases.
            if bucket.window is not None and now < bucket.expires_at:
                bucket.local_window = int(wall // bucket.window_seconds)
                bucket.local_count = bucket.taken
            if bucket.waiter is not None:
                bucket.waiter.set()
                bucket.waiter = None

    def _leave_fallback(self) -> None:
        if not self.fallback:
            return
        now = self._clock()
        wall = self._wall()
        for bucket in self._buckets.values():
            if bucket.window is not None and now >= bucket.expires_at:
                bucket.roll()
            # Admissions on the local share in the current window join the shared counter, so the
            # rest of the window stays within the limit (as far as the counter survived the outage).
            if bucket.unshared and bucket.local_window == int(wall // bucket.window_seconds):
                bucket.counted += bucket.unshared
                if bucket.window is not None:
                    bucket.taken += bucket.unshared
            bucket.unshared = 0
            if bucket.counted or bucket.returning:
                self._want(bucket)
        self.fallback = False
        self._fallback_gauge.set(0)
        logger.info(
            "throttle-sync reachable again: back on shared leases", extra={"gateway": self.gateway_id}
        )
