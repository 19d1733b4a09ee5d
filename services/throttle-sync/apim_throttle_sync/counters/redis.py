"""Counters in Redis (distributed mode): one Lua script per key, a pipeline per batch.

Each counter key is one hash ``{prefix}{tN}:c:{windowSeconds}:{key}`` holding the window id (``w``)
and the units used in it (``u``). The script reads the window from Redis ``TIME``, so every
throttle-sync replica and every gateway agree on window boundaries; a hash from an older window
counts as zero. The key expires at its window's end plus a margin.

Redis Cluster: a script may only touch keys of one slot. ``{tN}`` is a hash tag (one of ``tags``,
chosen by a CRC of the counter key), and each tag has its own epoch key ``{prefix}{tN}:epoch``, so
a counter and the epoch its script reads sit in one slot, and a restarted shard is found out by
the epochs of its own tags. Each tag also has two notice keys (``{tN}:short``, ``{tN}:back``,
``Notices``), set by the script and read by replicas in one MGET. On a cluster the scripts of a
batch run concurrently, one command each (redis-py does not pipeline scripts across a cluster's
nodes); on one Redis, in a pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from apim_throttle_sync.counters.base import (
    EXPIRY_MARGIN_MS,
    RECOVERY_MS,
    REPORT_WAIT_MS,
    TAGS,
    BackendStats,
    LeaseGrant,
    LeaseRequest,
    Notices,
    tag_of,
)

# KEYS[1] counter hash, KEYS[2] its tag's epoch, KEYS[3] the set of holders that reported since,
# KEYS[4] and KEYS[5] its tag's notices (``short``, ``back``)
# ARGV: limit, window ms, want, gateways, spread, returned-for window (-1 none), returned, counted,
#       margin ms, holder ('' none), units the holder holds in that window by its own count,
#       recovery ms, replicas the holder knew of before a loss, report wait ms, units needed
# -> {window, granted, used, ms until the window ends, epoch}
# No epoch means the store is new or lost its data: one is set, "now + recovery", and until then
# holders are granted nothing while they report what they hold.
# A hash of an older window is dropped whole (its holders' counts with it). A holder's count
# (field 'c:' .. holder) missing from the current window's hash while the holder says it holds
# units of that window means the store lost it: those units join ``used`` again.
# A holder granted fewer than it needed once nothing remains is left short (field 's:' .. holder);
# if another holder of the window was not, the tag's short notice is set to now. A holder giving
# units back while another is short sets the tag's back notice (``Notices``).
LEASE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window_ms = tonumber(ARGV[2])
local window = math.floor(now / window_ms)
local epoch = tonumber(redis.call('GET', KEYS[2]))
if not epoch then
  epoch = now + tonumber(ARGV[12])
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[3])
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
if holder ~= '' and epoch > 0 then
  if now < epoch then
    want = 0
  elseif now < epoch + tonumber(ARGV[14]) and redis.call('SCARD', KEYS[3]) < tonumber(ARGV[13]) then
    want = 0
  end
end
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
  local needed = math.min(tonumber(ARGV[15]), want)
  local returned = tonumber(ARGV[7])
  local short_now = granted < needed and used >= limit
  if short_now or (want > 0 or returned > 0) then
    if short_now then
      redis.call('HSET', KEYS[1], 's:' .. holder, 1)
    else
      redis.call('HDEL', KEYS[1], 's:' .. holder)
    end
    local fields = redis.call('HKEYS', KEYS[1])
    local short = {}
    for _, f in ipairs(fields) do
      if string.sub(f, 1, 2) == 's:' then short[string.sub(f, 3)] = true end
    end
    local notice = nil
    for _, f in ipairs(fields) do
      local h = string.sub(f, 3)
      if string.sub(f, 1, 2) == 'c:' and h ~= holder then
        if short_now and not short[h] then notice = KEYS[4] end
        if not short_now and returned > 0 and short[h] then notice = KEYS[5] end
      end
    end
    if notice then
      redis.call('SET', notice, now, 'PX', ends_at - now + tonumber(ARGV[9]))
    end
  end
end
redis.call('PEXPIREAT', KEYS[1], ends_at + tonumber(ARGV[9]))
return {window, granted, used, ends_at - now, epoch}
"""


STORE_OPERATIONS = Counter(
    "apim_throttle_store_operations",
    "Lease script calls on Redis (one per counter key in a batch): the store's work, per replica",
)


class RedisCounterBackend:
    def __init__(
        self, redis: Redis | RedisCluster, *, prefix: str = "apim:throttle:", tags: int = TAGS
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._tags = tags
        self._script = redis.register_script(LEASE_SCRIPT)
        self.epoch_keys = [f"{prefix}{{t{i}}}:epoch" for i in range(tags)]
        self.reported_keys = [f"{prefix}{{t{i}}}:reported" for i in range(tags)]
        self.notice_keys = [f"{prefix}{{t{i}}}:{kind}" for i in range(tags) for kind in ("short", "back")]
        self.stats = BackendStats()

    def _tag(self, key: str, window_seconds: int) -> int:
        return tag_of(key, window_seconds, self._tags)

    def tag(self, key: str, window_seconds: int) -> int:
        return self._tag(key, window_seconds)

    def counter_key(self, key: str, window_seconds: int) -> str:
        return f"{self._prefix}{{t{self._tag(key, window_seconds)}}}:c:{window_seconds}:{key}"

    async def mark_in_use(self) -> None:
        """Every tag's epoch set in the past: a store in use, not one that just lost its counters."""
        for key in self.epoch_keys:
            await self._redis.set(key, 0)

    async def lease(
        self, requests: Sequence[LeaseRequest], *, gateways: int, spread: float
    ) -> list[LeaseGrant]:
        if not requests:
            return []
        calls: list[tuple[list[str], list[Any]]] = []
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
                r.replicas,
                REPORT_WAIT_MS,
                r.needed,
            ]
            tag = self._tag(r.key, r.window_seconds)
            keys = [
                self.counter_key(r.key, r.window_seconds),
                self.epoch_keys[tag],
                self.reported_keys[tag],
                self.notice_keys[2 * tag],
                self.notice_keys[2 * tag + 1],
            ]
            calls.append((keys, args))
        results: list[list[int]]
        redis = self._redis
        if isinstance(redis, RedisCluster):
            results = list(await asyncio.gather(*(self._script(keys=k, args=a) for k, a in calls)))
        else:
            async with redis.pipeline(transaction=False) as pipe:
                for keys, args in calls:
                    await self._script(keys=keys, args=args, client=pipe)
                results = await pipe.execute()
        self.stats.round_trips += 1
        self.stats.operations += len(requests)
        STORE_OPERATIONS.inc(len(requests))
        return [
            LeaseGrant(r.key, int(res[0]), int(res[1]), int(res[2]), r.limit, int(res[3]), int(res[4]))
            for r, res in zip(requests, results, strict=True)
        ]

    async def epoch(self) -> int | None:
        """The latest of the tags' epochs (a tag's new epoch is always later than every older one),
        None if none is set. One MGET per replica and sweep (on a cluster, one per node): counted
        as a round trip, not as a counter operation."""
        self.stats.round_trips += 1
        redis = self._redis
        if isinstance(redis, RedisCluster):
            values = await redis.mget_nonatomic(self.epoch_keys)
        else:
            values = await redis.mget(self.epoch_keys)
        found = [int(v) for v in values if v is not None]
        return max(found) if found else None

    async def notices(self) -> list[Notices]:
        """Every tag's notices: one MGET per replica and ``watch`` (on a cluster, one per node),
        counted as a round trip, not as a counter operation."""
        self.stats.round_trips += 1
        redis = self._redis
        if isinstance(redis, RedisCluster):
            values = await redis.mget_nonatomic(self.notice_keys)
        else:
            values = await redis.mget(self.notice_keys)
        stamps = [int(v) if v is not None else 0 for v in values]
        return [Notices(stamps[i], stamps[i + 1]) for i in range(0, len(stamps), 2)]

    async def reported(self, holder: str) -> None:
        """SADD to every tag's set, which expires: nothing else clears it while the store lives."""
        self.stats.round_trips += 1
        redis = self._redis
        if isinstance(redis, RedisCluster):
            await asyncio.gather(*(self._mark(redis, key, holder) for key in self.reported_keys))
            return
        async with redis.pipeline(transaction=False) as pipe:
            for key in self.reported_keys:
                pipe.sadd(key, holder)
                pipe.pexpire(key, REPORT_WAIT_MS * 10)
            await pipe.execute()

    @staticmethod
    async def _mark(redis: RedisCluster, key: str, holder: str) -> None:
        await redis.sadd(key, holder)
        await redis.pexpire(key, REPORT_WAIT_MS * 10)

    async def close(self) -> None:
        """The Redis client belongs to whoever created it."""
