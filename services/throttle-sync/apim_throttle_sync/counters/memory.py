"""Counters in this process (standalone mode): the same semantics as the Redis script."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from apim_throttle_sync.counters.base import (
    EXPIRY_MARGIN_MS,
    RECOVERY_MS,
    REPORT_WAIT_MS,
    TAGS,
    BackendStats,
    LeaseGrant,
    LeaseRequest,
    Notices,
    fair_part,
    lease_size,
    tag_of,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class MemoryCounterBackend:
    def __init__(self, clock_ms: Callable[[], int] = _now_ms) -> None:
        self._clock_ms = clock_ms
        # (window_seconds, key) -> (window id, used, expires at ms)
        self._counters: dict[tuple[int, str], tuple[int, int, int]] = {}
        # (window_seconds, key) -> holder -> units of the counter's window it holds
        self._claims: dict[tuple[int, str], dict[str, int]] = {}
        # (window_seconds, key) -> holders of the counter's window left short by their last ask
        self._short: dict[tuple[int, str], set[str]] = {}
        self._notices = [Notices()] * TAGS
        self._next_sweep_ms = 0
        # This process's counters live as long as its replicas: no recovery unless they are lost.
        self._epoch: int | None = 0
        # Holders that reported since the epoch was set.
        self._reported: set[str] = set()
        self.stats = BackendStats()

    def __len__(self) -> int:
        return len(self._counters)

    async def lease(
        self, requests: Sequence[LeaseRequest], *, gateways: int, spread: float
    ) -> list[LeaseGrant]:
        now = self._clock_ms()
        self._sweep(now)
        self.stats.round_trips += 1
        self.stats.operations += len(requests)
        if self._epoch is None:
            self._epoch = now + RECOVERY_MS
            self._reported = set()
        return [self._one(r, now, gateways, spread) for r in requests]

    async def epoch(self) -> int | None:
        return self._epoch

    async def reported(self, holder: str) -> None:
        self._reported.add(holder)

    def tag(self, key: str, window_seconds: int) -> int:
        return tag_of(key, window_seconds)

    async def notices(self) -> list[Notices]:
        return list(self._notices)

    def _recovering(self, request: LeaseRequest, now: int) -> bool:
        epoch = self._epoch
        if not request.holder or epoch is None or epoch == 0:
            return False
        if now < epoch:
            return True
        return now < epoch + REPORT_WAIT_MS and len(self._reported) < request.replicas

    def _one(self, request: LeaseRequest, now: int, gateways: int, spread: float) -> LeaseGrant:
        window_ms = request.window_seconds * 1000
        window = now // window_ms
        ends_at = (window + 1) * window_ms
        slot = (request.window_seconds, request.key)
        stored = self._counters.get(slot)
        current = stored is not None and stored[0] == window
        used = stored[1] if stored is not None and current else 0
        claims = self._claims.get(slot) if current else None
        if claims is None:
            claims = self._claims[slot] = {}
            self._short[slot] = set()
        claim = 0
        if request.holder:
            if request.holder in claims:
                claim = claims[request.holder]
            elif request.window == window:  # a count the store lost: the holder's own joins it
                claim = request.held
                used += claim
        if request.window == window:
            used = max(used - request.returned, 0)
            claim = max(claim - request.returned, 0)
        used += request.counted
        fair = fair_part(request.limit, gateways, spread, claim) if request.holder else 0
        want = 0 if self._recovering(request, now) else request.want
        granted = lease_size(want, request.limit - used, gateways, spread, fair=fair)
        used += granted
        if request.holder:
            claims[request.holder] = claim + request.counted + granted
            self._note(self._short.setdefault(slot, set()), claims, request, want, granted, used, now)
        self._counters[slot] = (window, used, ends_at + EXPIRY_MARGIN_MS)
        return LeaseGrant(request.key, window, granted, used, request.limit, ends_at - now, self._epoch or 0)

    def _note(
        self,
        short: set[str],
        claims: dict[str, int],
        request: LeaseRequest,
        want: int,
        granted: int,
        used: int,
        now: int,
    ) -> None:
        """Who of the window's holders was left short, and the ``Notices`` that follow."""
        holder = request.holder
        others = [h for h in claims if h != holder]
        tag = tag_of(request.key, request.window_seconds)
        if granted < min(request.needed, want) and used >= request.limit:
            short.add(holder)
            if any(h not in short for h in others):
                self._notices[tag] = Notices(now, self._notices[tag].back)
        elif want > 0 or request.returned > 0:
            short.discard(holder)
            if request.returned > 0 and any(h in short for h in others):
                self._notices[tag] = Notices(self._notices[tag].short, now)

    def _sweep(self, now: int) -> None:
        """Drop expired counters, at most once a second, as Redis expiry would."""
        if now < self._next_sweep_ms:
            return
        self._next_sweep_ms = now + 1000
        expired = [slot for slot, (_, _, expires) in self._counters.items() if expires <= now]
        for slot in expired:
            del self._counters[slot]
            self._claims.pop(slot, None)
            self._short.pop(slot, None)

    def used_in(self, window: int, window_seconds: int) -> int:
        """Units used in one window, over every key (the simulation)."""
        return sum(
            used
            for (seconds, _), (w, used, _) in self._counters.items()
            if (w, seconds) == (window, window_seconds)
        )

    def lose_everything(self) -> None:
        """What a store restarted without persistence knows: nothing (tests and the simulation)."""
        self._counters.clear()
        self._claims.clear()
        self._short.clear()
        self._epoch = None
        self._reported = set()

    async def close(self) -> None:
        self._counters.clear()
        self._claims.clear()
