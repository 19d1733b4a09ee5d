"""Counters in Redis (distributed mode): one Lua script per key, a pipeline per batch.

Each counter key is one hash ``{prefix}c:{windowSeconds}:{key}`` holding the window id (``w``) and
the units used in it (``u``). The script reads the window from Redis ``TIME``, so every
throttle-sync replica and every gateway agree on window boundaries; a hash from an older window
counts as zero. The key expires at its window's end plus a margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from apim_throttle_sync.counters.base import EXPIRY_MARGIN_MS, BackendStats, LeaseGrant, LeaseRequest

# KEYS[1] counter hash
# ARGV: limit, window ms, want, gateways, spread, returned-for window (-1 none), returned, counted, margin ms
# -> {window, granted, used, ms until the window ends}
LEASE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window_ms = tonumber(ARGV[2])
local window = math.floor(now / window_ms)
local stored = redis.call('HMGET', KEYS[1], 'w', 'u')
local used = 0
if tonumber(stored[1]) == window then used = tonumber(stored[2]) or 0 end
if tonumber(ARGV[6]) == window then
  used = used - tonumber(ARGV[7])
  if used < 0 then used = 0 end
end
used = used + tonumber(ARGV[8])
local limit = tonumber(ARGV[1])
local want = tonumber(ARGV[3])
local remaining = limit - used
local granted = 0
if want > 0 and remaining > 0 then
  granted = math.ceil(remaining / (tonumber(ARGV[5]) * tonumber(ARGV[4])))
  if granted > want then granted = want end
  if granted > remaining then granted = remaining end
  used = used + granted
end
local ends_at = (window + 1) * window_ms
redis.call('HSET', KEYS[1], 'w', window, 'u', used)
redis.call('PEXPIREAT', KEYS[1], ends_at + tonumber(ARGV[9]))
return {window, granted, used, ends_at - now}
"""


class RedisCounterBackend:
    def __init__(self, redis: Redis, *, prefix: str = "apim:throttle:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(LEASE_SCRIPT)
        self.stats = BackendStats()

    def counter_key(self, key: str, window_seconds: int) -> str:
        return f"{self._prefix}c:{window_seconds}:{key}"

    async def lease(
        self, requests: Sequence[LeaseRequest], *, gateways: int, spread: float
    ) -> list[LeaseGrant]:
        if not requests:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for r in requests:
                args: list[Any] = [
                    r.limit,
                    r.window_seconds * 1000,
                    r.want,
                    max(gateways, 1),
                    spread,
                    -1 if r.window is None else r.window,
                    r.returned,
                    r.counted,
                    EXPIRY_MARGIN_MS,
                ]
                await self._script(keys=[self.counter_key(r.key, r.window_seconds)], args=args, client=pipe)
            results: list[list[int]] = await pipe.execute()
        self.stats.round_trips += 1
        self.stats.operations += len(requests)
        return [
            LeaseGrant(r.key, int(res[0]), int(res[1]), int(res[2]), r.limit, int(res[3]))
            for r, res in zip(requests, results, strict=True)
        ]

    async def close(self) -> None:
        """The Redis client belongs to whoever created it."""
