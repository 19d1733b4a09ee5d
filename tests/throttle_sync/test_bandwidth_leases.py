"""Leases of bytes: the shared counters count an amount per call, not one unit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from apim_gateway.throttling import ClientConfig, ThrottleClient
from apim_throttle_sync.counters import LeaseRequest
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import MemoryMembership
from tests.throttle_sync.load import InProcessTransport, store_at_a_window_start

GB = 1024**3
KEY = "bytes:app:carbon.super:app-1:alice"


@pytest.fixture
def service() -> LeaseService:
    return LeaseService(store_at_a_window_start(), MemoryMembership(ttl_seconds=5.0))


@pytest.fixture
async def gateways(service: LeaseService) -> AsyncIterator[list[ThrottleClient]]:
    clients = [ThrottleClient(InProcessTransport(service), gateway_id=f"bytes-gw-{i}") for i in range(2)]
    for client in clients:
        await client.start()
    yield clients
    for client in clients:
        await client.close()


async def _call(client: ThrottleClient, size: int) -> bool:
    """One bandwidth call: admitted on the shared count, then its bytes, then its end."""
    decision = await client.acquire(KEY, 5 * GB, 3600, take=0)
    if decision.admitted:
        client.consume(KEY, size)
        await client.flush([KEY])
    return decision.admitted


async def test_lease_counts_an_amount_of_bytes(service: LeaseService, gateways: list[ThrottleClient]) -> None:
    # 5 GB an hour; calls of 3 GB: the second (on the other gateway) crosses the limit and is
    # admitted whole, every later call is refused, and the counter holds exactly the 6 GB.
    first, second = gateways
    admitted = [await _call(first, 3 * GB), await _call(second, 3 * GB)]
    admitted += [await _call(first, 3 * GB), await _call(second, 1)]
    assert admitted == [True, True, False, False]
    [counter] = await service.counters.lease([LeaseRequest(KEY, 5 * GB, 3600, 0)], gateways=2, spread=2.0)
    assert counter.used == 6 * GB
    assert counter.remaining == 0


async def test_a_call_within_its_lease_gives_back_the_bytes_it_did_not_spend(
    service: LeaseService, gateways: list[ThrottleClient]
) -> None:
    client = gateways[0]
    for _ in range(20):  # a steady rate makes the leases larger than one call
        assert await _call(client, 1000)
    [counter] = await service.counters.lease([LeaseRequest(KEY, 5 * GB, 3600, 0)], gateways=2, spread=2.0)
    assert counter.used == 20 * 1000


async def test_without_throttle_sync_bytes_count_against_the_local_share(service: LeaseService) -> None:
    transport = InProcessTransport(service)
    transport.available = False
    client = ThrottleClient(transport, gateway_id="bytes-alone", config=ClientConfig(probe_interval=0.05))
    await client.start()
    try:
        first = await client.acquire(KEY, 1000, 3600, take=0)
        assert first.admitted
        assert first.fallback
        client.consume(KEY, 1200)  # crosses the local share of 1000 bytes
        assert not (await client.acquire(KEY, 1000, 3600, take=0)).admitted
    finally:
        await client.close()
