"""The gateway's analytics drain wakes once per batch of records, not once per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from apim_common.events.bus import InProcessBus
from apim_common.events.envelope import CloudEvent, new_event
from apim_common.events.topics import Topic
from apim_gateway.observability import Analytics


class _Record:
    def __init__(self, status: int) -> None:
        self.status = status

    def build(self) -> CloudEvent:
        return new_event("/gateway/gw-1", "request.completed", "api-1", {"proxyResponseCode": self.status})


class _Seen:
    def __init__(self) -> None:
        self.events: list[tuple[float, int]] = []

    async def __call__(self, event: CloudEvent) -> None:
        self.events.append((time.monotonic(), event.data["proxyResponseCode"]))

    async def count(self, wanted: int, within: float) -> None:
        deadline = time.monotonic() + within
        while len(self.events) < wanted and time.monotonic() < deadline:
            await asyncio.sleep(0.005)


@pytest.fixture
async def bus() -> AsyncIterator[tuple[InProcessBus, _Seen]]:
    bus, seen = InProcessBus(), _Seen()
    bus.subscribe([str(Topic.ANALYTICS)], "drain-test", seen)
    await bus.start()
    try:
        yield bus, seen
    finally:
        await bus.stop()


async def test_records_arriving_while_the_drain_gathers_are_published_together_after_the_gather_time(
    bus: tuple[InProcessBus, _Seen],
) -> None:
    bus_, seen = bus
    analytics = Analytics(bus_, size=100, gateway_id="gw-1", gather_seconds=0.3, gather_records=50)
    analytics.start()
    try:
        await asyncio.sleep(0)
        first = time.monotonic()
        analytics.record(_Record(200))
        for status in (201, 202, 203):
            await asyncio.sleep(0.02)  # the loop runs between requests, as it does in a server
            analytics.record(_Record(status))
        assert seen.events == [], "the drain woke before the gather time or a batch"
        await seen.count(4, within=3)
    finally:
        await analytics.stop()
    assert [status for _, status in seen.events] == [200, 201, 202, 203]
    assert min(at for at, _ in seen.events) - first >= 0.25


async def test_a_full_batch_wakes_the_drain_before_the_gather_time_ends(
    bus: tuple[InProcessBus, _Seen],
) -> None:
    bus_, seen = bus
    analytics = Analytics(bus_, size=100, gateway_id="gw-1", gather_seconds=30, gather_records=3)
    analytics.start()
    try:
        await asyncio.sleep(0)
        for status in (200, 201, 202):
            analytics.record(_Record(status))
            await asyncio.sleep(0.01)
        await seen.count(3, within=3)
    finally:
        await analytics.stop()
    assert [status for _, status in seen.events] == [200, 201, 202]
