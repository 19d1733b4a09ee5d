"""The throttle-sync app factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.maint_notifications import MaintNotificationsConfig

from apim_common.app import Extension, ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_common.revocations import revocation_tracking
from apim_common.tasks import cancel_and_wait
from apim_throttle_sync.counters import CounterBackend, MemoryCounterBackend, RedisCounterBackend
from apim_throttle_sync.leases.endpoints import router as leases_router
from apim_throttle_sync.leases.pool import PoolConfig, ReplicaPools
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import Membership, MemoryMembership, RedisMembership
from apim_throttle_sync.settings import Settings

PREFIXES = ("/api/am/throttle/v1",)
REPLICAS_PREFIX = "apim:throttle:replicas:"

logger = logging.getLogger(__name__)


def redis_client(url: str, timeout: float) -> Redis:
    """A client whose pooled connections survive a Redis restart, and which never replays a lease.

    The pool checks each connection it hands out and replaces one the server has closed (a
    restart, an idle timeout) without a round trip. redis-py 8.1 skips that check while maintenance
    notifications are on, and RESP3 turns them on by default, so each pooled connection failed one
    lease after a restart: they are off (they only carry the planned-maintenance events of some
    managed Redis services). Commands are not retried: a lease script whose reply was lost may
    have run, and running it again would give its returned units back twice, letting the window
    admit more than its limit; a gateway's next sync tick is the retry.
    """
    return Redis.from_url(url, **_client_options(timeout))


def _client_options(timeout: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
        "maint_notifications_config": MaintNotificationsConfig(enabled=False),
    }


def redis_cluster_client(url: str, timeout: float) -> RedisCluster:
    """``redis_client``'s rules for a Redis Cluster: the other nodes are found from ``url``'s;
    a command is never replayed (redirects to a slot's new node are followed, which is no replay)."""
    return RedisCluster.from_url(url, **_client_options(timeout))


def _lease_service(
    settings: Settings, counters: CounterBackend, membership: Membership, replicas: Membership
) -> LeaseService:
    pools = None
    if settings.lease_pools:
        config = PoolConfig(
            rebalance=settings.lease_rebalance, keys_by_replica=settings.lease_keys_by_replica
        )
        pools = ReplicaPools(counters, settings.replica_id or f"ts-{uuid.uuid4().hex[:12]}", config=config)
    return LeaseService(
        counters,
        membership,
        spread=settings.lease_spread,
        gateway_ttl_seconds=settings.gateway_ttl_seconds,
        pools=pools,
        replicas=replicas if pools is not None else None,
    )


async def _sweep(service: LeaseService) -> None:
    """Give back the units of idle pools, every ``idle_return``."""
    assert service.pools is not None
    while True:
        await asyncio.sleep(service.pools.config.idle_return)
        try:
            await service.sweep()
        except Exception as exc:  # the store is away: the units lapse with their window
            logger.warning("could not give back idle pooled units: %s", exc)


async def _watch(service: LeaseService) -> None:
    """Act on the store's notices, every ``watch`` (pools that rebalance only)."""
    assert service.pools is not None
    while True:
        await asyncio.sleep(service.pools.config.watch)
        try:
            await service.watch()
        except Exception as exc:  # the store is away: the next read tries again
            logger.warning("could not read the counter store's notices: %s", exc)


@contextlib.asynccontextmanager
async def _sweeping(service: LeaseService) -> AsyncIterator[None]:
    tasks = []
    if service.pools is not None:
        tasks.append(asyncio.create_task(_sweep(service)))
        if service.pools.config.rebalance is not None:
            tasks.append(asyncio.create_task(_watch(service)))
    try:
        yield
    finally:
        for task in tasks:
            await cancel_and_wait(task)


def _counters(settings: Settings) -> Extension:
    @contextlib.asynccontextmanager
    async def extension(app: FastAPI) -> AsyncIterator[None]:
        ttl = settings.gateway_ttl_seconds
        if settings.counter_backend == "memory":
            service = _lease_service(
                settings,
                MemoryCounterBackend(),
                MemoryMembership(ttl_seconds=ttl),
                MemoryMembership(ttl_seconds=ttl),
            )
            app.state.lease_service = service
            async with _sweeping(service):
                yield
            return
        redis: Redis | RedisCluster
        if settings.redis_cluster:
            redis = redis_cluster_client(settings.counter_backend, settings.redis_timeout_seconds)
        else:
            redis = redis_client(settings.counter_backend, settings.redis_timeout_seconds)
        try:
            service = _lease_service(
                settings,
                RedisCounterBackend(redis),
                RedisMembership(redis, ttl_seconds=ttl),
                RedisMembership(redis, ttl_seconds=ttl, prefix=REPLICAS_PREFIX),
            )
            app.state.lease_service = service
            async with _sweeping(service):
                yield
        finally:
            await redis.aclose()

    return extension


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    settings = settings or Settings()
    spec = ServiceSpec(
        name="throttle-sync",
        title="Throttle Sync",
        prefixes=PREFIXES,
        routers=[leases_router],
        extensions=[revocation_tracking, _counters(settings)],
    )
    return build_service_app(spec, settings, bus=bus)
