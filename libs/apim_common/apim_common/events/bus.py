"""The event bus interface and its in-process backend.

Delivery is at-least-once per consumer group, in publish order per subject. Every group gets
every event (gateways each consume as their own group, so they all see everything); within a
group one handler is called per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from apim_common.events.envelope import CloudEvent

logger = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, event: CloudEvent) -> None:
        """Return once the event is durably accepted by the bus."""

    def subscribe(self, topics: Iterable[str], group: str, handler: Handler) -> None:
        """Call ``handler`` for every event on ``topics``; register before ``start``."""


class _Subscription:
    def __init__(self, topics: frozenset[str], group: str, handler: Handler, retry_delay: float) -> None:
        self.topics = topics
        self.group = group
        self.handler = handler
        self.retry_delay = retry_delay
        self.queue: asyncio.Queue[CloudEvent] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            while True:
                try:
                    await self.handler(event)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # At-least-once: a failing handler sees the same event again, in order.
                    logger.exception("handler of group %s failed on event %s; retrying", self.group, event.id)
                    await asyncio.sleep(self.retry_delay)
            self.queue.task_done()


class InProcessBus:
    """Standalone mode: events go from publisher to each group's queue in the same process."""

    def __init__(self, *, retry_delay: float = 0.5) -> None:
        self._subscriptions: list[_Subscription] = []
        self._retry_delay = retry_delay
        self._started = False

    async def start(self) -> None:
        self._started = True
        for sub in self._subscriptions:
            if sub.task is None:
                sub.task = asyncio.create_task(sub.run(), name=f"bus:{sub.group}")

    async def stop(self) -> None:
        tasks = [s.task for s in self._subscriptions if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in self._subscriptions:
            sub.task = None
        self._started = False

    async def publish(self, topic: str, event: CloudEvent) -> None:
        for sub in self._subscriptions:
            if topic in sub.topics:
                sub.queue.put_nowait(event)

    def subscribe(self, topics: Iterable[str], group: str, handler: Handler) -> None:
        for sub in self._subscriptions:
            if sub.group == group and sub.topics & frozenset(topics):
                raise ValueError(f"group {group!r} already consumes one of {sorted(topics)}")
        sub = _Subscription(frozenset(topics), group, handler, self._retry_delay)
        self._subscriptions.append(sub)
        if self._started:
            sub.task = asyncio.create_task(sub.run(), name=f"bus:{group}")

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests and orderly shutdown)."""
        await asyncio.gather(*(s.queue.join() for s in self._subscriptions))
