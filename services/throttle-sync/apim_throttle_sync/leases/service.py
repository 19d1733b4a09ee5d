"""Leasing: one batch per gateway sync tick, sized by the active gateway count.

With ``pools`` (``APIM_LEASE_POOLS``), this replica leases from the store for the gateways it
serves and subdivides (``leases/pool.py``): the store sizes by the active replicas, the pool by
the gateways that called this replica lately.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.exceptions import RedisError

from apim_common.errors import ServiceUnavailable
from apim_throttle_sync.counters import CounterBackend, LeaseRequest
from apim_throttle_sync.leases.pool import ReplicaPools
from apim_throttle_sync.leases.schemas import (
    GatewayList,
    GatewayPublic,
    HeartbeatAnswer,
    LeaseBatch,
    LeaseBatchAnswer,
    LeaseGrantPublic,
)
from apim_throttle_sync.membership import Membership, MemoryMembership


@asynccontextmanager
async def _store_errors() -> AsyncIterator[None]:
    """An unreachable store is a 503: gateways then fall back to their local share."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable(
            f"The shared counter store is unreachable: {exc}", message="Counter store unavailable"
        ) from exc


class LeaseService:
    def __init__(
        self,
        counters: CounterBackend,
        membership: Membership,
        *,
        spread: float = 2.0,
        gateway_ttl_seconds: float = 5.0,
        count_refresh_seconds: float = 0.5,
        pools: ReplicaPools | None = None,
        replicas: Membership | None = None,
    ) -> None:
        self.counters = counters
        self.membership = membership
        self.pools = pools
        # Replicas leasing for their gateways, and the gateways that called this one lately.
        self.replicas = replicas
        self.served = MemoryMembership(ttl_seconds=gateway_ttl_seconds)
        self._replica_count = 1
        self.spread = spread
        self.gateway_ttl_seconds = gateway_ttl_seconds
        self._count_refresh = count_refresh_seconds
        self._count = 1
        self._count_at = float("-inf")

    async def active_gateways(self) -> int:
        """Read from the store at most every ``count_refresh_seconds``, not on every lease call."""
        now = time.monotonic()
        if now - self._count_at >= self._count_refresh:
            try:
                self._count = max(await self.membership.count(), 1)
                if self.replicas is not None and self.pools is not None:
                    self._replica_count = max(await self.replicas.heartbeat(self.pools.replica_id), 1)
            except (RedisError, OSError):
                if self.pools is None or not self.pools.outage():
                    raise
            self._count_at = now
        return self._count

    async def lease(self, batch: LeaseBatch) -> LeaseBatchAnswer:
        async with _store_errors():
            gateways = await self.active_gateways()
            requests = [
                LeaseRequest(i.key, i.limit, i.windowSeconds, i.want, i.window, i.returned, i.counted)
                for i in batch.items
            ]
            if self.pools is None:
                grants = await self.counters.lease(requests, gateways=gateways, spread=self.spread)
            else:
                served = await self.served.heartbeat(batch.gatewayId)
                grants = await self.pools.lease(
                    requests, gateways=served, replicas=self._replica_count, gateway_spread=self.spread
                )
        return LeaseBatchAnswer(
            activeGateways=gateways,
            pooled=self.pools is not None,
            grants=[
                LeaseGrantPublic(
                    key=g.key,
                    window=g.window,
                    granted=g.granted,
                    used=g.used,
                    limit=g.limit,
                    remaining=g.remaining,
                    windowEndsInMs=g.window_ends_in_ms,
                    retryInMs=g.retry_in_ms,
                )
                for g in grants
            ],
        )

    async def sweep(self) -> None:
        """Give back the units of this replica's idle pools (a background task, with pools only)."""
        if self.pools is not None:
            async with _store_errors():
                await self.pools.sweep(replicas=self._replica_count)

    async def watch(self) -> None:
        """Act on the store's notices (a background task, with pools that rebalance only)."""
        if self.pools is not None:
            async with _store_errors():
                await self.pools.watch(replicas=self._replica_count)

    async def heartbeat(self, gateway_id: str) -> HeartbeatAnswer:
        if self.pools is not None:
            await self.served.heartbeat(gateway_id)
            try:
                count = await self.membership.heartbeat(gateway_id)
            except (RedisError, OSError):
                if not self.pools.outage():  # a short outage: the pools still serve, keep the count
                    raise ServiceUnavailable(
                        "The shared counter store is unreachable", message="Counter store unavailable"
                    ) from None
                count = self._count
            else:
                self.pools.store_up()
            self._count, self._count_at = max(count, 1), time.monotonic()
            return HeartbeatAnswer(
                gatewayId=gateway_id, activeGateways=count, ttlSeconds=self.gateway_ttl_seconds
            )
        async with _store_errors():
            count = await self.membership.heartbeat(gateway_id)
        self._count, self._count_at = max(count, 1), time.monotonic()
        return HeartbeatAnswer(
            gatewayId=gateway_id, activeGateways=count, ttlSeconds=self.gateway_ttl_seconds
        )

    async def gateways(self) -> GatewayList:
        async with _store_errors():
            members = await self.membership.members()
        return GatewayList(
            count=len(members),
            list=[GatewayPublic(gatewayId=m.gateway_id, expiresInMs=m.expires_in_ms) for m in members],
        )
