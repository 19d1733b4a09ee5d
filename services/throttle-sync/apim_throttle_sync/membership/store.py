"""Membership stores: a sorted set in Redis (score = expiry, ms), a dict in memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster


@dataclass(frozen=True, slots=True)
class GatewayMember:
    gateway_id: str
    expires_in_ms: int


class Membership(Protocol):
    async def heartbeat(self, gateway_id: str) -> int:
        """Record a heartbeat; answer how many gateways are active now."""
        ...

    async def members(self) -> list[GatewayMember]: ...

    async def count(self) -> int: ...


# KEYS[1] sorted set; ARGV: gateway id, ttl ms -> active count. Expired members are dropped here,
# and the set itself expires when no gateway heartbeats, so it never grows without bound.
HEARTBEAT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1] sorted set -> flat list of member, ms until it expires
MEMBERS_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #found, 2 do
  out[#out + 1] = found[i]
  out[#out + 1] = tonumber(found[i + 1]) - now
end
return out
"""


class RedisMembership:
    def __init__(
        self, redis: Redis | RedisCluster, *, ttl_seconds: float, prefix: str = "apim:throttle:"
    ) -> None:
        self._key = f"{prefix}gateways"
        self._ttl_ms = int(ttl_seconds * 1000)
        self._heartbeat = redis.register_script(HEARTBEAT_SCRIPT)
        self._members = redis.register_script(MEMBERS_SCRIPT)

    async def heartbeat(self, gateway_id: str) -> int:
        return int(await self._heartbeat(keys=[self._key], args=[gateway_id, self._ttl_ms]))

    async def members(self) -> list[GatewayMember]:
        flat = await self._members(keys=[self._key])
        pairs = zip(flat[0::2], flat[1::2], strict=True)
        return [GatewayMember(m.decode() if isinstance(m, bytes) else str(m), int(left)) for m, left in pairs]

    async def count(self) -> int:
        return len(await self.members())


class MemoryMembership:
    def __init__(self, *, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def _prune(self) -> float:
        now = self._clock()
        for gateway_id in [g for g, expires in self._expiry.items() if expires <= now]:
            del self._expiry[gateway_id]
        return now

    async def heartbeat(self, gateway_id: str) -> int:
        now = self._prune()
        self._expiry[gateway_id] = now + self._ttl
        return len(self._expiry)

    async def members(self) -> list[GatewayMember]:
        now = self._prune()
        return [GatewayMember(g, int((e - now) * 1000)) for g, e in sorted(self._expiry.items())]

    async def count(self) -> int:
        self._prune()
        return len(self._expiry)
