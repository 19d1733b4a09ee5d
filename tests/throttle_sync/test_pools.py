"""Replicas leasing for their gateways and subdividing (``ReplicaPools``), on the in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from apim_gateway.throttling import ClientConfig, HttpThrottleTransport, ThrottleClient
from apim_throttle_sync.counters import LeaseRequest, MemoryCounterBackend
from apim_throttle_sync.leases.pool import ReplicaPools
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import MemoryMembership
from tests.throttle_sync.load import InProcessTransport, left_short, started_gateways, store_at_a_window_start

WINDOW = 60  # no test crosses a window boundary by accident


def replica(store: MemoryCounterBackend, replicas: MemoryMembership, name: str) -> LeaseService:
    return LeaseService(
        store,
        MemoryMembership(ttl_seconds=5.0),
        pools=ReplicaPools(store, name),
        replicas=replicas,
    )


@pytest.fixture
def store() -> MemoryCounterBackend:
    return store_at_a_window_start()


@pytest.fixture
async def tier(store: MemoryCounterBackend) -> AsyncIterator[tuple[list[LeaseService], list[ThrottleClient]]]:
    """Two replicas, two gateways on each."""
    replicas = MemoryMembership(ttl_seconds=5.0)
    services = [replica(store, replicas, f"r{i}") for i in range(2)]
    for s in services:
        await s.active_gateways()
    transports = [InProcessTransport(services[i % 2]) for i in range(4)]
    async with started_gateways(transports, "pool-gw") as clients:
        yield services, clients


async def test_gateways_of_two_replicas_admit_exactly_the_shared_limit(
    tier: tuple[list[LeaseService], list[ThrottleClient]], store: MemoryCounterBackend
) -> None:
    _, clients = tier
    admitted = 0
    for _ in range(150):
        for client in clients:
            admitted += (await client.acquire("shared", 200, WINDOW)).admitted

    assert admitted == 200
    # Each replica took its half of the limit from the store in a few leases, not one per gateway ask.
    assert store.stats.operations <= 8


async def test_units_a_gateway_gives_back_serve_the_replicas_other_gateways_without_the_store(
    store: MemoryCounterBackend,
) -> None:
    pools = ReplicaPools(store, "r0")
    (first,) = await pools.lease(
        [LeaseRequest("k", 100, WINDOW, 30)], gateways=2, replicas=1, gateway_spread=1
    )
    operations = store.stats.operations

    back = LeaseRequest("k", 100, WINDOW, 0, first.window, returned=first.granted)
    await pools.lease([back], gateways=2, replicas=1, gateway_spread=1)
    (again,) = await pools.lease(
        [LeaseRequest("k", 100, WINDOW, 30)], gateways=2, replicas=1, gateway_spread=1
    )

    assert again.granted == 30
    assert store.stats.operations == operations


async def test_a_store_that_lost_its_counters_rebuilds_them_from_what_the_replicas_hold() -> None:
    now = [3_600_000.0]  # seconds, on a window boundary
    store = MemoryCounterBackend(clock_ms=lambda: int(now[0] * 1000))
    r0, r1 = (ReplicaPools(store, name, clock=lambda: now[0]) for name in ("r0", "r1"))
    taken = 0
    for _ in range(3):
        (grant,) = await r0.lease(
            [LeaseRequest("k", 100, WINDOW, 20)], gateways=1, replicas=2, gateway_spread=1
        )
        taken += grant.granted
    assert r0.held() > 0

    store.lose_everything()  # Redis restarted without persistence
    for step in range(40):  # 2 s: r1 asks first, both sweep every 0.25 s, r0's gateways ask too
        now[0] += 0.05
        for pools in (r1, r0):
            (grant,) = await pools.lease(
                [LeaseRequest("k", 100, WINDOW, 50)], gateways=1, replicas=2, gateway_spread=1
            )
            taken += grant.granted
        if step % 5 == 4:
            await r0.sweep(replicas=2)
            await r1.sweep(replicas=2)

    assert taken == 100


async def test_idle_pools_give_their_units_back_to_the_store() -> None:
    now = [1000.0]
    store = MemoryCounterBackend(clock_ms=lambda: int(now[0] * 1000))  # one clock: no window crossed
    pools = ReplicaPools(store, "r0", clock=lambda: now[0])
    (grant,) = await pools.lease(
        [LeaseRequest("k", 100, WINDOW, 5)], gateways=1, replicas=1, gateway_spread=1
    )
    assert pools.held() > 0

    now[0] += WINDOW / 10  # idle for a tenth of the window
    await pools.sweep(replicas=1)
    (direct,) = await store.lease([LeaseRequest("k", 100, WINDOW, 1000)], gateways=1, spread=1)

    assert pools.held() == 0
    assert direct.granted == 100 - grant.granted


async def test_bandwidth_counters_pass_straight_to_the_store(store: MemoryCounterBackend) -> None:
    pools = ReplicaPools(store, "r0")

    (grant,) = await pools.lease(
        [LeaseRequest("bytes:k", 10_000, WINDOW, 400)], gateways=1, replicas=1, gateway_spread=1
    )

    assert (grant.granted, grant.used) == (400, 400)
    assert len(pools) == 0


async def test_a_gateway_moves_to_the_next_replica_when_its_replica_refuses_the_connection() -> None:
    called: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        called.append(request.url.host)
        if request.url.host == "ts-a":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"activeGateways": 3, "grants": []})

    async def no_headers() -> dict[str, str]:
        return {}

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        transport = HttpThrottleTransport(http, "http://ts-a:9443, http://ts-b:9443", no_headers)
        first = await transport.lease({"gatewayId": "g", "items": []})
        second = await transport.heartbeat("g")

    assert first["activeGateways"] == second["activeGateways"] == 3
    assert called == ["ts-a", "ts-b", "ts-b"]


async def test_a_gateway_told_nothing_remains_asks_again_and_gets_units_another_gateway_gave_back(
    store: MemoryCounterBackend,
) -> None:
    replicas = MemoryMembership(ttl_seconds=5.0)
    service = replica(store, replicas, "r0")
    await service.active_gateways()
    config = ClientConfig(idle_return=60.0)
    holder, starved = (
        ThrottleClient(InProcessTransport(service), gateway_id=f"gw-{i}", config=config) for i in range(2)
    )
    for c in (holder, starved):
        await c.start()
    try:
        while (await holder.acquire("k", 20, WINDOW)).admitted:
            pass
        assert holder._buckets["k"].exhausted  # the pool and the store are spent
        assert not (await starved.acquire("k", 20, WINDOW)).admitted
        retry_at = starved._buckets["k"].retry_at

        back = LeaseRequest("k", 20, WINDOW, 0, holder._buckets["k"].window, returned=3)
        assert service.pools is not None
        await service.pools.lease([back], gateways=2, replicas=1, gateway_spread=2)  # a gateway gives back 3
        refused_before_retry = await starved.acquire("k", 20, WINDOW)
        while starved._clock() < retry_at:
            await asyncio.sleep(0.005)
        admitted = [(await starved.acquire("k", 20, WINDOW)).admitted for _ in range(3)]
    finally:
        for c in (holder, starved):
            await c.close()

    assert not refused_before_retry.admitted
    assert admitted == [True, True, True]


async def test_after_a_store_loss_nothing_is_granted_until_a_replica_slower_than_the_recovery_reports() -> (
    None
):
    now = [7_200_000.0]  # seconds, on a window boundary
    store = MemoryCounterBackend(clock_ms=lambda: int(now[0] * 1000))
    r0, r1 = (ReplicaPools(store, name, clock=lambda: now[0]) for name in ("r0", "r1"))
    taken = 0
    for pools in (r0, r1):
        (grant,) = await pools.lease(
            [LeaseRequest("k", 100, WINDOW, 30)], gateways=1, replicas=2, gateway_spread=1
        )
        taken += grant.granted
    r1_held = r1.held()

    store.lose_everything()
    granted_before_r0_reported = 0
    for step in range(30):  # 1.5 s: r1 asks and sweeps every 0.05 s; r0 is stalled, it does not sweep
        now[0] += 0.05
        (grant,) = await r1.lease(
            [LeaseRequest("k", 100, WINDOW, 50)], gateways=1, replicas=1, gateway_spread=1
        )
        granted_before_r0_reported += grant.granted
        if step % 5 == 4:
            await r1.sweep(replicas=1)
    await r0.sweep(replicas=2)  # r0 catches up: it reports what it holds
    for _ in range(10):
        now[0] += 0.05
        for pools in (r1, r0):
            (grant,) = await pools.lease(
                [LeaseRequest("k", 100, WINDOW, 50)], gateways=1, replicas=2, gateway_spread=1
            )
            taken += grant.granted
        await r0.sweep(replicas=2)
        await r1.sweep(replicas=2)

    assert granted_before_r0_reported <= r1_held  # its own pool's units, nothing from the store
    assert taken + granted_before_r0_reported == 100


@pytest.mark.parametrize(("rebalance", "last"), [(1.0, 10), (None, 0)])
async def test_units_one_replica_will_not_use_go_to_a_replica_left_short(
    rebalance: float | None, last: int
) -> None:
    now = [3_600_000.0]  # seconds, on a window boundary
    store = MemoryCounterBackend(clock_ms=lambda: int(now[0] * 1000))

    granted = await left_short(store, now, "k", rebalance)

    # r0 gives back what its demand will not use in the window's last half (with rebalancing only),
    # and r1's next ask finds it; the window never goes above its limit.
    assert granted == [5, 50, last]
    assert store.used_in(3_600_000, 1) <= 100
