"""InProcessBus.publish_many: every group on the topic gets the whole batch, in order; others none."""

from __future__ import annotations

import asyncio

from apim_common.events.bus import InProcessBus
from apim_common.events.envelope import CloudEvent, new_event


async def test_publish_many_hands_each_group_of_the_topic_the_batch_in_order() -> None:
    bus = InProcessBus()
    seen: dict[str, list[int]] = {"a": [], "b": [], "other": []}
    for group, topic in (("a", "analytics"), ("b", "analytics"), ("other", "apis")):

        async def handler(event: CloudEvent, into: list[int] = seen[group]) -> None:
            into.append(event.data["n"])

        bus.subscribe([topic], group, handler)
    await bus.start()
    try:
        await bus.publish_many(
            "analytics", [new_event("gw", "request.completed", "api", {"n": n}) for n in range(5)]
        )
        await asyncio.wait_for(bus.drain(), 5)
    finally:
        await bus.stop()
    assert seen == {"a": [0, 1, 2, 3, 4], "b": [0, 1, 2, 3, 4], "other": []}
