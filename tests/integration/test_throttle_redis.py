"""Exact shared rate limits on real Redis: gateways with their own state, one shared counter."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from apim_gateway.throttling import ClientConfig
from apim_throttle_sync.app import redis_client
from apim_throttle_sync.counters import LeaseRequest, RedisCounterBackend, lease_size
from apim_throttle_sync.counters.base import EXPIRY_MARGIN_MS
from apim_throttle_sync.leases.schemas import LeaseBatch, LeaseItem
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import RedisMembership
from tests.conftest import infra_value
from tests.throttle_sync.load import Limit, flush_prefix, run_gateways

pytestmark = [pytest.mark.infra, pytest.mark.timeout(120)]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = redis_client(infra_value("APIM_TEST_REDIS_URL"), 0.5)
    yield client
    await client.aclose()


@pytest.fixture
async def service(redis: Redis) -> AsyncIterator[LeaseService]:
    prefix = f"apim:test:{uuid.uuid4().hex[:8]}:"
    yield LeaseService(
        RedisCounterBackend(redis, prefix=prefix),
        RedisMembership(redis, ttl_seconds=3.0, prefix=prefix),
        gateway_ttl_seconds=3.0,
    )
    # Redis may have been stopped and started again by the outage test: a fresh client cleans up.
    cleaner = redis_client(infra_value("APIM_TEST_REDIS_URL"), 0.5)
    try:
        await flush_prefix(cleaner, prefix)
    finally:
        await cleaner.aclose()


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


async def test_four_gateways_admit_exactly_the_shared_limit_every_window_at_5x_overload(
    service: LeaseService, capsys: pytest.CaptureFixture[str]
) -> None:
    limit = Limit("sub:carbon.super:app-1:api-1", 1000)
    result = await run_gateways(service, [limit], gateways=4, overload=5, windows=10)
    admitted = result.per_window[limit.key]
    _report(
        capsys,
        f"4 gateways, 1000/s at 5x, 10 windows: admitted per window {admitted}; "
        f"Redis ops per admitted request {result.ops_per_admitted():.4f} "
        f"({result.operations} ops for {result.admitted_total} admitted)",
    )
    assert len(admitted) == 10
    assert max(admitted) <= 1000
    assert min(admitted) >= 990
    assert result.ops_per_admitted() < 0.2


async def test_burst_and_backend_limits_are_exact_across_four_gateways(
    service: LeaseService, capsys: pytest.CaptureFixture[str]
) -> None:
    burst = Limit("subb:carbon.super:app-1:api-1", 600)
    backend = Limit("backend:carbon.super:api-1:production", 400)
    result = await run_gateways(service, [burst, backend], gateways=4, overload=5, windows=5)
    _report(
        capsys,
        f"burst 600/s then backend maxTps 400/s: burst {result.per_window[burst.key]}, "
        f"backend {result.per_window[backend.key]}; Redis ops per admitted request "
        f"{result.ops_per_admitted():.4f}",
    )
    for limit in (burst, backend):
        admitted = result.per_window[limit.key]
        assert max(admitted) <= limit.limit, limit.key
        assert min(admitted) >= 0.99 * limit.limit, limit.key


async def _infra(command: str) -> None:
    script = os.environ.get("APIM_TEST_INFRA_SCRIPT") or infra_value("APIM_TEST_INFRA_SCRIPT")
    process = await asyncio.create_subprocess_exec(
        script, command, "redis", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0, f"scripts/infra {command} redis failed"


async def test_a_redis_outage_leaves_gateways_on_their_local_share_and_exactness_returns_after(
    service: LeaseService, capsys: pytest.CaptureFixture[str]
) -> None:
    limit = Limit("api:carbon.super:api-outage", 1000)
    config = ClientConfig(probe_interval=0.2)
    restarted = False

    async def outage(start: float) -> None:
        nonlocal restarted
        try:
            await asyncio.sleep(max(start + 2.5 - time.time(), 0))
            await _infra("stop")
            await asyncio.sleep(2.0)
        finally:
            await _infra("start")
            restarted = True

    result = await run_gateways(
        service, [limit], gateways=4, overload=5, windows=8, config=config, during=outage
    )
    assert restarted
    leased = result.per_window[limit.key]
    fallback = [result.tally.fallback[(limit.key, result.first_window + i)] for i in range(8)]
    _report(capsys, f"Redis stopped at 2.5 s for 2 s: leased per window {leased}, local share {fallback}")
    # Before the outage: exact.
    assert all(990 <= n <= 1000 for n in leased[:2])
    # Window 3 lies inside the outage: every gateway served its local share (4 x 250), no more.
    assert leased[3] == 0
    assert 950 <= fallback[3] <= 1000
    # Redis stopped in window 2: what each gateway had admitted counts against its local share.
    assert leased[2] + fallback[2] <= 1100
    # Redis came back in window 4 (its counters lost): local admissions are reported as counted, so
    # the window overshoots by at most what gateways still on their share admit meanwhile.
    assert leased[4] + fallback[4] <= 1500
    # Windows 6 and 7 come after Redis is back: exact again.
    assert all(990 <= n <= 1000 for n in leased[6:])
    assert fallback[6] == fallback[7] == 0


async def test_a_lease_request_right_after_a_redis_restart_succeeds(service: LeaseService) -> None:
    batch = LeaseBatch(
        gatewayId="restart-gw", items=[LeaseItem(key="restart", limit=100, windowSeconds=60, want=1)]
    )
    # Requests at the same time leave as many connections in the client's pool.
    await asyncio.gather(*(service.lease(batch) for _ in range(4)))
    try:
        await _infra("stop")
    finally:
        await _infra("start")
    answers = await asyncio.gather(*(service.lease(batch) for _ in range(4)))
    assert [a.grants[0].granted for a in answers] == [1, 1, 1, 1]
    assert (await service.heartbeat("restart-gw")).activeGateways == 1


async def test_the_redis_script_sizes_leases_as_the_reference_rule(service: LeaseService) -> None:
    counters = service.counters
    granted = []
    for gateways in (1, 4, 8):
        [grant] = await counters.lease(
            [LeaseRequest(f"size-{gateways}", 1000, 60, 10_000)], gateways=gateways, spread=2.0
        )
        granted.append(grant.granted)
    assert granted == [lease_size(10_000, 1000, g, 2.0) for g in (1, 4, 8)]
    total = 0
    for _ in range(100):
        [grant] = await counters.lease([LeaseRequest("drain", 37, 60, 5)], gateways=4, spread=2.0)
        total += grant.granted
    assert total == 37
    assert grant.remaining == 0


async def test_redis_counters_expire_at_their_window_end(service: LeaseService, redis: Redis) -> None:
    counters = service.counters
    assert isinstance(counters, RedisCounterBackend)
    [grant] = await counters.lease([LeaseRequest("expiring", 10, 2, 1)], gateways=1, spread=2.0)
    ttl_ms = await redis.pttl(counters.counter_key("expiring", 2))
    assert 0 < ttl_ms <= grant.window_ends_in_ms + EXPIRY_MARGIN_MS
    returned = LeaseRequest("expiring", 10, 2, 0, window=grant.window, returned=1)
    [after] = await counters.lease([returned], gateways=1, spread=2.0)
    assert after.used == 0


async def test_gateway_membership_in_redis_counts_heartbeating_gateways(service: LeaseService) -> None:
    await service.heartbeat("gw-one")
    answer = await service.heartbeat("gw-two")
    assert answer.activeGateways == 2
    listed = await service.gateways()
    assert {g.gatewayId for g in listed.list} == {"gw-one", "gw-two"}
    assert all(0 < g.expiresInMs <= 3000 for g in listed.list)
