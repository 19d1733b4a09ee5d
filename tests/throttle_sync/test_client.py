"""The gateway's admission client against the leasing logic on the in-memory backend."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from apim_gateway.throttling import ClientConfig, ThrottleClient
from apim_throttle_sync.counters import LeaseRequest
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import MemoryMembership
from tests.throttle_sync.load import InProcessTransport, store_at_a_window_start

WINDOW = 60  # long enough that no test crosses a window boundary by accident


@pytest.fixture
def service() -> LeaseService:
    return LeaseService(store_at_a_window_start(), MemoryMembership(ttl_seconds=5.0))


@pytest.fixture
async def gateways(service: LeaseService) -> AsyncIterator[list[ThrottleClient]]:
    clients = [
        ThrottleClient(
            InProcessTransport(service), gateway_id=f"unit-gw-{i}", config=ClientConfig(probe_interval=0.05)
        )
        for i in range(2)
    ]
    for c in clients:
        await c.start()
    yield clients
    for c in clients:
        await c.close()


async def test_the_first_request_waits_for_its_lease_instead_of_being_refused(
    gateways: list[ThrottleClient],
) -> None:
    client = gateways[0]
    first = client.try_acquire("k", 100, WINDOW)
    assert first.pending
    assert not first.admitted
    settled = await client.settle("k")
    assert settled.admitted
    assert settled.window is not None


async def test_gateways_together_admit_exactly_the_shared_limit(gateways: list[ThrottleClient]) -> None:
    admitted = 0
    for _ in range(300):
        for client in gateways:
            admitted += (await client.acquire("shared", 100, WINDOW)).admitted
    assert admitted == 100


async def test_a_refusal_after_the_quota_says_when_to_retry(gateways: list[ThrottleClient]) -> None:
    client = gateways[0]
    while (await client.acquire("k", 5, WINDOW)).admitted:
        pass
    refused = client.try_acquire("k", 5, WINDOW)
    assert not refused.admitted
    assert not refused.pending
    assert refused.remaining == 0
    assert 1 <= refused.retry_after <= WINDOW


async def test_a_quota_that_does_not_stop_traffic_counts_but_never_refuses(
    gateways: list[ThrottleClient], service: LeaseService
) -> None:
    client = gateways[0]
    decisions = [await client.acquire("billing", 5, WINDOW, stop_on_quota_reach=False) for _ in range(12)]
    assert all(d.admitted for d in decisions)
    await asyncio.sleep(0.05)
    [state] = await service.counters.lease([LeaseRequest("billing", 5, WINDOW, 0)], gateways=1, spread=1.0)
    assert state.used >= 12


async def test_units_a_gateway_holds_without_using_them_are_given_back(service: LeaseService) -> None:
    config = ClientConfig(idle_return=0.05)
    client = ThrottleClient(InProcessTransport(service), gateway_id="idle-gw", config=config)
    await client.start()
    try:
        for _ in range(40):
            await client.acquire("idle", 1000, WINDOW)
            await asyncio.sleep(0.001)
        [held] = await service.counters.lease([LeaseRequest("idle", 1000, WINDOW, 0)], gateways=1, spread=1.0)
        assert held.used > 40
        await asyncio.sleep(0.2)
        [after] = await service.counters.lease(
            [LeaseRequest("idle", 1000, WINDOW, 0)], gateways=1, spread=1.0
        )
        assert after.used == 40
    finally:
        await client.close()


async def test_requests_below_the_limit_are_never_refused_at_a_window_start(service: LeaseService) -> None:
    # A generous bound on the wait keeps a busy test machine from turning a late lease into a refusal.
    client = ThrottleClient(
        InProcessTransport(service), gateway_id="slow-gw", config=ClientConfig(max_wait=0.25)
    )
    await client.start()
    try:
        boundary = int(time.time()) + 1
        await asyncio.sleep(boundary - time.time() - 0.1)
        decisions = []
        while time.time() < boundary + 0.3:  # 100 requests per second against a limit of 1,000
            decisions.append(await client.acquire("steady", 1000, 1))
            await asyncio.sleep(0.01)
        assert decisions
        assert all(d.admitted for d in decisions)
    finally:
        await client.close()


class _PoolSpentThenRefilled:
    """A pooled replica whose first answer is a spent pool that may get units back (retry in 50 ms),
    and which grants what it is asked for afterwards; it records the units each batch asked for."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        [item] = batch["items"]
        self.asked.append(item["want"])
        spent = len(self.asked) == 1
        granted = 0 if spent else item["want"]
        grant = {
            "key": item["key"],
            "window": 1,
            "granted": granted,
            "used": item["limit"] if spent else granted,
            "limit": item["limit"],
            "remaining": 0 if spent else item["limit"] - granted,
            "windowEndsInMs": WINDOW * 1000,
            "retryInMs": 50 if spent else 0,
        }
        return {"activeGateways": 2, "pooled": True, "grants": [grant]}

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return {"gatewayId": gateway_id, "activeGateways": 2, "ttlSeconds": 5}


async def test_a_request_after_a_spent_pools_retry_time_asks_for_its_unit() -> None:
    replica = _PoolSpentThenRefilled()
    client = ThrottleClient(replica, gateway_id="retry-gw")
    await client.start()
    try:
        assert not (await client.acquire("k", 100, WINDOW)).admitted
        await asyncio.sleep(0.06)  # the pool's retry time has passed
        assert client.try_acquire("k", 100, WINDOW).pending
        # Settled in a task of its own, the request starts waiting after the sync task, woken by
        # it, has sent its batch: the batch must still ask for its unit, or it waits in vain.
        assert (await asyncio.create_task(client.settle("k"))).admitted
        assert replica.asked[1] >= 1
    finally:
        await client.close()


def _gauge(gateway_id: str) -> float | None:
    return REGISTRY.get_sample_value("apim_gateway_throttle_fallback", {"gateway": gateway_id})


async def test_an_unreachable_throttle_sync_falls_back_to_the_local_share_and_recovers(
    service: LeaseService, caplog: pytest.LogCaptureFixture
) -> None:
    transports = [InProcessTransport(service) for _ in range(4)]
    clients = [
        ThrottleClient(t, gateway_id=f"fb-gw-{i}", config=ClientConfig(probe_interval=0.05))
        for i, t in enumerate(transports)
    ]
    for c in clients:
        await c.start()
    client = clients[0]
    try:
        assert await client.heartbeat() == 4
        for t in transports:
            t.available = False
        with caplog.at_level(logging.WARNING, logger="apim_gateway.throttling.client"):
            decisions = [await client.acquire("fb", 100, WINDOW) for _ in range(60)]
        assert client.fallback
        assert _gauge("fb-gw-0") == 1
        assert "local share" in caplog.text
        # limit / last known gateway count, and never an exception
        assert sum(d.admitted for d in decisions) == 25
        assert all(d.fallback for d in decisions[1:])
        for t in transports:
            t.available = True
        await asyncio.sleep(0.2)
        assert not client.fallback
        assert _gauge("fb-gw-0") == 0
        back = await client.acquire("fb2", 100, WINDOW)
        assert back.admitted
        assert not back.fallback
        assert back.window is not None
    finally:
        for c in clients:
            await c.close()


async def test_units_admitted_on_the_local_share_join_the_shared_counter_on_recovery(
    service: LeaseService,
) -> None:
    transport = InProcessTransport(service)
    client = ThrottleClient(transport, gateway_id="rejoin-gw", config=ClientConfig(probe_interval=0.05))
    await client.start()
    try:
        transport.available = False
        for _ in range(7):
            await client.acquire("rejoin", 100, WINDOW)
        assert client.fallback
        transport.available = True
        await asyncio.sleep(0.2)
        assert not client.fallback
        [state] = await service.counters.lease(
            [LeaseRequest("rejoin", 100, WINDOW, 0)], gateways=1, spread=1.0
        )
        assert state.used >= 7
    finally:
        await client.close()


async def _until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)


async def _used(service: LeaseService, key: str, limit: int) -> int:
    [state] = await service.counters.lease([LeaseRequest(key, limit, WINDOW, 0)], gateways=1, spread=1.0)
    return state.used


# Heartbeats every 50 ms: an outage puts the client in fallback, and its end takes it out, at once.
FLAPPING = ClientConfig(heartbeat_interval=0.05, probe_interval=0.05)


async def test_units_a_gateway_holds_when_it_falls_back_are_not_lost(service: LeaseService) -> None:
    transport = InProcessTransport(service)
    client = ThrottleClient(transport, gateway_id="hold-gw", config=FLAPPING)
    await client.start()
    try:
        assert (await client.acquire("hold", 10, WINDOW)).admitted
        # The lease brought more units than the one request used: the gateway holds the rest.
        assert await _used(service, "hold", 10) > 1
        transport.available = False
        await _until(lambda: client.fallback)
        transport.available = True
        await _until(lambda: not client.fallback)
        admitted = 1
        while (await client.acquire("hold", 10, WINDOW)).admitted:
            admitted += 1
        assert admitted == 10
    finally:
        await client.close()


async def test_a_gateway_back_from_fallback_leaves_the_shared_count_at_what_it_admitted(
    service: LeaseService,
) -> None:
    transport = InProcessTransport(service)
    client = ThrottleClient(transport, gateway_id="recount-gw", config=FLAPPING)
    await client.start()
    admitted = 0
    for _ in range(5):
        admitted += (await client.acquire("recount", 100, WINDOW)).admitted
    transport.available = False
    await _until(lambda: client.fallback)
    for _ in range(3):  # on the local share
        admitted += (await client.acquire("recount", 100, WINDOW)).admitted
    transport.available = True
    await _until(lambda: not client.fallback)
    await client.close()  # gives back the units it still holds
    assert admitted == 8
    assert await _used(service, "recount", 100) == 8


async def test_units_counted_in_a_lease_batch_that_failed_reach_the_shared_counter(
    service: LeaseService,
) -> None:
    transport = InProcessTransport(service)
    client = ThrottleClient(transport, gateway_id="lost-count-gw", config=FLAPPING)
    await client.start()
    transport.available = False
    # Admitted beyond any lease (the quota does not stop traffic): the next batch counts them, and fails.
    for _ in range(3):
        assert client.try_acquire("billing", 5, WINDOW, stop_on_quota_reach=False).admitted
    await _until(lambda: client.fallback)
    transport.available = True
    await _until(lambda: not client.fallback)
    await client.close()
    assert await _used(service, "billing", 5) == 3


async def test_buckets_unused_for_two_windows_are_forgotten(service: LeaseService) -> None:
    client = ThrottleClient(
        InProcessTransport(service), gateway_id="prune-gw", config=ClientConfig(idle_return=0.05)
    )
    await client.start()
    try:
        await client.acquire("short", 10, 1)
        assert "short" in client
        await asyncio.sleep(2.3)
        assert "short" not in client
    finally:
        await client.close()


async def test_a_closing_gateway_gives_its_unused_units_back(service: LeaseService) -> None:
    client = ThrottleClient(InProcessTransport(service), gateway_id="closing-gw")
    await client.start()
    for _ in range(30):
        await client.acquire("closing", 1000, WINDOW)
        await asyncio.sleep(0.001)
    await client.close()
    [state] = await service.counters.lease([LeaseRequest("closing", 1000, WINDOW, 0)], gateways=1, spread=1.0)
    assert state.used == 30


class _AnswersWhileTheGatewayIsBlocked(InProcessTransport):
    """Answers a lease in 50 ms, but the gateway's event loop is blocked for 0.4 s (a process
    starved of CPU) right after its first batch leaves: longer than its 0.2 s request timeout."""

    blocked = False

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        if not self.blocked:
            self.blocked = True
            asyncio.get_running_loop().call_soon(time.sleep, 0.4)
        await asyncio.sleep(0.05)
        return await super().lease(batch)


async def test_an_answer_that_came_while_the_gateway_was_blocked_is_read_not_a_fallback(
    service: LeaseService,
) -> None:
    transport = _AnswersWhileTheGatewayIsBlocked(service)
    client = ThrottleClient(transport, gateway_id="blocked-gw", config=ClientConfig(request_timeout=0.2))
    await client.start()
    try:
        await client.acquire("k", 100, WINDOW)  # its wait for the lease may end during the block
        await asyncio.sleep(0.05)
        assert transport.blocked
        assert not client.fallback
        # The batch's answer was applied: the bucket knows the shared window.
        assert client.peek("k", 100, WINDOW).window is not None
    finally:
        await client.close()


class _NeverAnswers(InProcessTransport):
    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_replica_that_never_answers_sends_the_gateway_to_its_local_share(
    service: LeaseService,
) -> None:
    client = ThrottleClient(
        _NeverAnswers(service), gateway_id="silent-gw", config=ClientConfig(request_timeout=0.1)
    )
    await client.start()
    try:
        assert client.try_acquire("k", 100, WINDOW).pending
        async with asyncio.timeout(5.0):  # 0.1 s, twice that at most if the loop was late
            while not client.fallback:
                await asyncio.sleep(0.01)
    finally:
        await client.close()
