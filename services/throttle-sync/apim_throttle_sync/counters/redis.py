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

from apim_throttle_sync.counters.base import (
    EXPIRY_MARGIN_MS,
    RECOVERY_MS,
    BackendStats,
    LeaseGrant,
    LeaseRequest,
)

# KEYS[1] counter hash, KEYS[2] the store's epoch
# ARGV: limit, window ms, want, gateways, spread, returned-for window (-1 none), returned, counted,
#       margin ms, holder ('' none), units the holder holds in that window by its own count,
#       recovery ms
# -> {window, granted, used, ms until the window ends, epoch}
# No epoch means the store is new or lost its data: one is set, "now + recovery", and until then
# holders are granted nothing while they report what they hold.
# A hash of an older window is dropped whole (its holders' counts with it). A holder's count
# (field 'c:' .. holder) missing from the current window's hash while the holder says it holds
# units of that window means the store lost it: those units join ``used`` again.
LEASE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window_ms = tonumber(ARGV[2])
local window = math.floor(now / window_ms)
local epoch = tonumber(redis.call('GET', KEYS[2]))
if not epoch then
  epoch = now + tonumber(ARGV[12])
  redis.call('SET', KEYS[2], epoch)
end
local stored = redis.call('HGET', KEYS[1], 'w')
local used = 0
if tonumber(stored) == window then
  used = tonumber(redis.call('HGET', KEYS[1], 'u')) or 0
elseif stored then
  redis.call('DEL', KEYS[1])
end
local holder = ARGV[10]
local for_window = tonumber(ARGV[6]) == window
local claim = 0
if holder ~= '' then
  local c = redis.call('HGET', KEYS[1], 'c:' .. holder)
  if c then
    claim = tonumber(c)
  elseif for_window then
    claim = tonumber(ARGV[11])
    used = used + claim
  end
end
if for_window then
  used = used - tonumber(ARGV[7])
  if used < 0 then used = 0 end
  claim = claim - tonumber(ARGV[7])
  if claim < 0 then claim = 0 end
end
used = used + tonumber(ARGV[8])
local limit = tonumber(ARGV[1])
local want = tonumber(ARGV[3])
if holder ~= '' and now < epoch then want = 0 end
local gateways = tonumber(ARGV[4])
local spread = tonumber(ARGV[5])
local remaining = limit - used
local granted = 0
if want > 0 and remaining > 0 then
  granted = math.ceil(remaining / (spread * gateways))
  if holder ~= '' then
    local fair = math.ceil(limit / (spread * gateways)) - claim
    if fair > granted then granted = fair end
  end
  if granted > want then granted = want end
  if granted > remaining then granted = remaining end
  used = used + granted
end
local ends_at = (window + 1) * window_ms
redis.call('HSET', KEYS[1], 'w', window, 'u', used)
if holder ~= '' then
  redis.call('HSET', KEYS[1], 'c:' .. holder, claim + tonumber(ARGV[8]) + granted)
end
redis.call('PEXPIREAT', KEYS[1], ends_at + tonumber(ARGV[9]))
return {window, granted, used, ends_at - now, epoch}
"""


class RedisCounterBackend:
    def __init__(self, redis: Redis, *, prefix: str = "apim:throttle:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(LEASE_SCRIPT)
        self.epoch_key = f"{prefix}epoch"
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
                    r.holder,
                    r.held,
                    RECOVERY_MS,
                ]
                keys = [self.counter_key(r.key, r.window_seconds), self.epoch_key]
                await self._script(keys=keys, args=args, client=pipe)
            results: list[list[int]] = await pipe.execute()
        self.stats.round_trips += 1
        self.stats.operations += len(requests)
        return [
            LeaseGrant(r.key, int(res[0]), int(res[1]), int(res[2]), r.limit, int(res[3]), int(res[4]))
            for r, res in zip(requests, results, strict=True)
        ]

    async def epoch(self) -> int | None:
        """One GET, per replica and sweep: counted as a round trip, not as a counter operation."""
        self.stats.round_trips += 1
        value = await self._redis.get(self.epoch_key)
        return None if value is None else int(value)

    async def close(self) -> None:
        """The Redis client belongs to whoever created it."""
