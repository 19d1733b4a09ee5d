"""The throttle-sync app factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.maint_notifications import MaintNotificationsConfig

from apim_common.app import Extension, ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_common.revocations import revocation_tracking
from apim_throttle_sync.counters import MemoryCounterBackend, RedisCounterBackend
from apim_throttle_sync.leases.endpoints import router as leases_router
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import MemoryMembership, RedisMembership
from apim_throttle_sync.settings import Settings

PREFIXES = ("/api/am/throttle/v1",)


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
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )


def _counters(settings: Settings) -> Extension:
    @contextlib.asynccontextmanager
    async def extension(app: FastAPI) -> AsyncIterator[None]:
        if settings.counter_backend == "memory":
            app.state.lease_service = LeaseService(
                MemoryCounterBackend(),
                MemoryMembership(ttl_seconds=settings.gateway_ttl_seconds),
                spread=settings.lease_spread,
                gateway_ttl_seconds=settings.gateway_ttl_seconds,
            )
            yield
            return
        redis = redis_client(settings.counter_backend, settings.redis_timeout_seconds)
        try:
            app.state.lease_service = LeaseService(
                RedisCounterBackend(redis),
                RedisMembership(redis, ttl_seconds=settings.gateway_ttl_seconds),
                spread=settings.lease_spread,
                gateway_ttl_seconds=settings.gateway_ttl_seconds,
            )
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
