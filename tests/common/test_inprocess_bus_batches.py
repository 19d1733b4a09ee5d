"""The in-process bus's batch subscriptions: runs of waiting events, redelivered whole on failure."""

import asyncio
from collections.abc import Sequence

from apim_common.events import CloudEvent, InProcessBus, new_event


def event(n: int) -> CloudEvent:
    return new_event("test", "request.completed", f"api-{n % 3}", {"n": n})


async def test_waiting_events_reach_a_batch_handler_together_and_in_order() -> None:
    bus = InProcessBus()
    runs: list[list[int]] = []

    async def handler(events: Sequence[CloudEvent]) -> None:
        runs.append([e.data["n"] for e in events])

    bus.subscribe_batch(["analytics"], "store", handler, max_events=8)
    for n in range(20):
        await bus.publish("analytics", event(n))
    await bus.start()
    await asyncio.wait_for(bus.drain(), timeout=2)
    await bus.stop()
    assert [n for run in runs for n in run] == list(range(20))
    assert [len(run) for run in runs] == [8, 8, 4]


async def test_a_failing_batch_handler_sees_the_same_run_again() -> None:
    bus = InProcessBus(retry_delay=0.01)
    attempts: list[list[int]] = []

    async def flaky(events: Sequence[CloudEvent]) -> None:
        attempts.append([e.data["n"] for e in events])
        if len(attempts) < 2:
            raise RuntimeError("database not ready")

    bus.subscribe_batch(["analytics"], "store", flaky)
    for n in range(3):
        await bus.publish("analytics", event(n))
    await bus.start()
    await asyncio.wait_for(bus.drain(), timeout=2)
    await bus.stop()
    assert attempts == [[0, 1, 2], [0, 1, 2]]
