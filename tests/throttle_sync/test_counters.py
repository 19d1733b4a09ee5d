"""Lease sizing and the in-memory counter backend (standalone mode's shared counters)."""

from __future__ import annotations

from apim_throttle_sync.counters import LeaseRequest, MemoryCounterBackend, lease_size
from apim_throttle_sync.counters.base import EXPIRY_MARGIN_MS
from apim_throttle_sync.membership import MemoryMembership


class FakeClock:
    def __init__(self, now_ms: int = 1_000_000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def test_lease_size_shrinks_as_the_remaining_quota_shrinks() -> None:
    sizes = [lease_size(1000, remaining, 4, 2.0) for remaining in (1000, 400, 80, 9)]
    assert sizes == [125, 50, 10, 2]


def test_lease_size_shrinks_as_more_gateways_are_active() -> None:
    assert [lease_size(1000, 1000, g, 2.0) for g in (1, 2, 8)] == [500, 250, 63]


def test_lease_size_is_one_unit_near_the_end_of_the_quota_never_zero() -> None:
    assert lease_size(50, 1, 8, 2.0) == 1
    assert lease_size(50, 3, 8, 2.0) == 1
    assert lease_size(50, 0, 8, 2.0) == 0


def test_lease_size_never_exceeds_what_was_wanted() -> None:
    assert lease_size(7, 1000, 1, 2.0) == 7
    assert lease_size(0, 1000, 1, 2.0) == 0


async def test_memory_backend_never_grants_more_than_the_limit_in_a_window() -> None:
    backend = MemoryCounterBackend(FakeClock())
    granted = 0
    for _ in range(200):
        [grant] = await backend.lease([LeaseRequest("k", 100, 1, 30)], gateways=4, spread=2.0)
        granted += grant.granted
    assert granted == 100
    assert grant.remaining == 0


async def test_memory_backend_starts_a_fresh_count_in_the_next_aligned_window() -> None:
    clock = FakeClock(now_ms=10_400)
    backend = MemoryCounterBackend(clock)
    [first] = await backend.lease([LeaseRequest("k", 10, 1, 10)], gateways=1, spread=1.0)
    assert (first.window, first.granted, first.window_ends_in_ms) == (10, 10, 600)
    clock.now_ms = 11_000
    [second] = await backend.lease([LeaseRequest("k", 10, 1, 10)], gateways=1, spread=1.0)
    assert (second.window, second.granted, second.used) == (11, 10, 10)


async def test_returned_units_of_the_current_window_can_be_leased_again() -> None:
    backend = MemoryCounterBackend(FakeClock())
    [grant] = await backend.lease([LeaseRequest("k", 10, 60, 10)], gateways=1, spread=1.0)
    back = LeaseRequest("k", 10, 60, 0, window=grant.window, returned=4)
    [after] = await backend.lease([back], gateways=1, spread=1.0)
    assert after.used == 6


async def test_returned_units_of_a_past_window_are_ignored() -> None:
    clock = FakeClock()
    backend = MemoryCounterBackend(clock)
    [grant] = await backend.lease([LeaseRequest("k", 10, 1, 10)], gateways=1, spread=1.0)
    clock.now_ms += 1000
    await backend.lease([LeaseRequest("k", 10, 1, 3)], gateways=1, spread=1.0)
    [after] = await backend.lease(
        [LeaseRequest("k", 10, 1, 0, window=grant.window, returned=10)], gateways=1, spread=1.0
    )
    assert after.used == 3


async def test_units_counted_past_the_quota_are_added_even_beyond_the_limit() -> None:
    backend = MemoryCounterBackend(FakeClock())
    await backend.lease([LeaseRequest("k", 5, 60, 5)], gateways=1, spread=1.0)
    [after] = await backend.lease([LeaseRequest("k", 5, 60, 0, counted=3)], gateways=1, spread=1.0)
    assert (after.used, after.remaining, after.granted) == (8, 0, 0)


async def test_memory_counters_expire_with_their_window() -> None:
    clock = FakeClock()
    backend = MemoryCounterBackend(clock)
    await backend.lease([LeaseRequest(f"k{i}", 5, 1, 1) for i in range(50)], gateways=1, spread=1.0)
    assert len(backend) == 50
    clock.now_ms += 1000 + EXPIRY_MARGIN_MS + 1
    await backend.lease([LeaseRequest("other", 5, 1, 1)], gateways=1, spread=1.0)
    assert len(backend) == 1


async def test_a_batch_counts_one_round_trip_and_one_operation_per_key() -> None:
    backend = MemoryCounterBackend(FakeClock())
    await backend.lease([LeaseRequest(f"k{i}", 5, 1, 1) for i in range(3)], gateways=1, spread=1.0)
    assert (backend.stats.round_trips, backend.stats.operations) == (1, 3)


async def test_a_gateway_that_misses_its_heartbeat_ttl_is_no_longer_active() -> None:
    now = [100.0]
    membership = MemoryMembership(ttl_seconds=5.0, clock=lambda: now[0])
    assert await membership.heartbeat("a") == 1
    now[0] += 3
    assert await membership.heartbeat("b") == 2
    now[0] += 3
    assert await membership.count() == 1
    assert [m.gateway_id for m in await membership.members()] == ["b"]
