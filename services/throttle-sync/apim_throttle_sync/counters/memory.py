"""Counters in this process (standalone mode): the same semantics as the Redis script."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from apim_throttle_sync.counters.base import (
    EXPIRY_MARGIN_MS,
    BackendStats,
    LeaseGrant,
    LeaseRequest,
    lease_size,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class MemoryCounterBackend:
    def __init__(self, clock_ms: Callable[[], int] = _now_ms) -> None:
        self._clock_ms = clock_ms
        # (window_seconds, key) -> (window id, used, expires at ms)
        self._counters: dict[tuple[int, str], tuple[int, int, int]] = {}
        self._next_sweep_ms = 0
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
        return [self._one(r, now, gateways, spread) for r in requests]

    def _one(self, request: LeaseRequest, now: int, gateways: int, spread: float) -> LeaseGrant:
        window_ms = request.window_seconds * 1000
        window = now // window_ms
        ends_at = (window + 1) * window_ms
        slot = (request.window_seconds, request.key)
        stored = self._counters.get(slot)
        used = stored[1] if stored is not None and stored[0] == window else 0
        if request.window == window:
            used = max(used - request.returned, 0)
        used += request.counted
        granted = lease_size(request.want, request.limit - used, gateways, spread)
        used += granted
        self._counters[slot] = (window, used, ends_at + EXPIRY_MARGIN_MS)
        return LeaseGrant(request.key, window, granted, used, request.limit, ends_at - now)

    def _sweep(self, now: int) -> None:
        """Drop expired counters, at most once a second, as Redis expiry would."""
        if now < self._next_sweep_ms:
            return
        self._next_sweep_ms = now + 1000
        expired = [slot for slot, (_, _, expires) in self._counters.items() if expires <= now]
        for slot in expired:
            del self._counters[slot]

    async def close(self) -> None:
        self._counters.clear()
