"""The analytics drain builds the requests' events in one pass and publishes them in one call."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from apim_common.events.envelope import CloudEvent, new_event
from apim_gateway.observability import ANALYTICS_DROPPED, Analytics, new_event_ids


class _Bus:
    """Records each ``publish_many`` call (a unit test's stand-in for the bus)."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, event: CloudEvent) -> None:
        raise AssertionError("the drain publishes batches")

    async def publish_many(self, topic: str, events: Sequence[CloudEvent]) -> None:
        self.calls.append([e.data["n"] for e in events])

    def subscribe(self, *args: Any, **kwargs: Any) -> None: ...

    def subscribe_batch(self, *args: Any, **kwargs: Any) -> None: ...


class _Builder:
    """Builds a request's event from its record ``(n,)``; refuses ``n`` in ``refused``."""

    def __init__(self, refused: frozenset[int] = frozenset()) -> None:
        self.passes = 0
        self.refused = refused

    def build_requests(self, records: Sequence[Any], wall_offset: float) -> list[CloudEvent]:
        self.passes += 1
        if any(n in self.refused for (n,) in records):
            raise ValueError("an odd request")
        return [new_event("/gateway/gw-1", "request.completed", "api-1", {"n": n}) for (n,) in records]


async def _drained(analytics: Analytics, bus: _Bus, wanted: int) -> None:
    analytics.start()
    try:
        for _ in range(300):
            if sum(map(len, bus.calls)) >= wanted:
                break
            await asyncio.sleep(0.01)
    finally:
        await analytics.stop()


async def test_requests_queued_together_are_built_in_one_pass_and_published_in_one_call() -> None:
    bus, builder = _Bus(), _Builder()
    analytics = Analytics(bus, size=100, gateway_id="gw-1", requests=builder, gather_seconds=0.05)
    for n in range(20):
        analytics.request((n,))
    await _drained(analytics, bus, 20)
    assert bus.calls == [list(range(20))]
    assert builder.passes == 1
    assert analytics.published == 20


async def test_a_request_whose_event_cannot_be_built_costs_only_its_own_event() -> None:
    bus = _Bus()
    analytics = Analytics(bus, size=100, gateway_id="gw-1", requests=_Builder(frozenset({3})))
    for n in range(6):
        analytics.request((n,))
    await _drained(analytics, bus, 5)
    assert bus.calls == [[0, 1, 2, 4, 5]]


async def test_request_records_beyond_the_queue_size_are_dropped_and_counted() -> None:
    bus = _Bus()
    analytics = Analytics(bus, size=3, gateway_id="gw-1", requests=_Builder())
    dropped = ANALYTICS_DROPPED._value.get()
    for n in range(5):
        analytics.request((n,))
    assert ANALYTICS_DROPPED._value.get() == dropped + 2
    await _drained(analytics, bus, 3)
    assert bus.calls == [[0, 1, 2]]


def test_the_event_ids_of_a_batch_are_distinct_version_4_uuids_beyond_one_prefix() -> None:
    ids = new_event_ids(5000)  # more than the 4,096 one drawn prefix numbers
    parsed = [uuid.UUID(hex=value) for value in ids]
    assert len(set(ids)) == 5000
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}
    assert new_event_ids(0) == []
