"""The event bus interface and its in-process backend.

Delivery is at-least-once per consumer group, in publish order per subject. Every group gets
every event (gateways each consume as their own group, so they all see everything); within a
group one handler is called per event, or, for a batch subscriber (a high-volume consumer that
writes many events in one transaction), per run of events already waiting, acknowledged only
once its handler returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from apim_common.events.envelope import CloudEvent
from apim_common.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]
BatchHandler = Callable[[Sequence[CloudEvent]], Awaitable[None]]


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, event: CloudEvent) -> None:
        """Return once the event is durably accepted by the bus."""

    async def publish_many(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """Publish ``events`` in their order, returning once all are durably accepted: sent
        together, where ``publish`` waits for each (a high-volume producer's batch)."""

    def subscribe(self, topics: Iterable[str], group: str, handler: Handler) -> None:
        """Call ``handler`` for every event on ``topics``; register before ``start``."""

    def subscribe_batch(
        self, topics: Iterable[str], group: str, handler: BatchHandler, *, max_events: int = 1000
    ) -> None:
        """Call ``handler`` with runs of at most ``max_events`` events, in order per subject.

        A run is acknowledged only when the handler returns; when it raises, the same run comes
        again, so the handler must be idempotent (by event id) and atomic.
        """


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


class _BatchSubscription:
    def __init__(
        self, topics: frozenset[str], group: str, handler: BatchHandler, max_events: int, retry_delay: float
    ) -> None:
        self.topics = topics
        self.group = group
        self.handler = handler
        self.max_events = max_events
        self.retry_delay = retry_delay
        self.queue: asyncio.Queue[CloudEvent] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        queue = self.queue
        while True:
            events = [await queue.get()]
            while len(events) < self.max_events and not queue.empty():
                events.append(queue.get_nowait())
            while True:
                try:
                    await self.handler(events)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("batch handler of group %s failed; retrying", self.group)
                    await asyncio.sleep(self.retry_delay)
            for _ in events:
                queue.task_done()


class InProcessBus:
    """Standalone mode: events go from publisher to each group's queue in the same process."""

    def __init__(self, *, retry_delay: float = 0.5) -> None:
        self._subscriptions: list[_Subscription | _BatchSubscription] = []
        self._retry_delay = retry_delay
        self._started = False

    async def start(self) -> None:
        self._started = True
        for sub in self._subscriptions:
            if sub.task is None:
                sub.task = asyncio.create_task(sub.run(), name=f"bus:{sub.group}")

    async def stop(self) -> None:
        await cancel_and_wait(*(s.task for s in self._subscriptions))
        for sub in self._subscriptions:
            sub.task = None
        self._started = False

    async def publish(self, topic: str, event: CloudEvent) -> None:
        for sub in self._subscriptions:
            if topic in sub.topics:
                sub.queue.put_nowait(event)

    async def publish_many(self, topic: str, events: Sequence[CloudEvent]) -> None:
        for sub in self._subscriptions:
            if topic in sub.topics:
                put = sub.queue.put_nowait
                for event in events:
                    put(event)

    def subscribe(self, topics: Iterable[str], group: str, handler: Handler) -> None:
        self._add(_Subscription(frozenset(topics), group, handler, self._retry_delay))

    def subscribe_batch(
        self, topics: Iterable[str], group: str, handler: BatchHandler, *, max_events: int = 1000
    ) -> None:
        self._add(_BatchSubscription(frozenset(topics), group, handler, max_events, self._retry_delay))

    def _add(self, sub: _Subscription | _BatchSubscription) -> None:
        for other in self._subscriptions:
            if other.group == sub.group and other.topics & sub.topics:
                raise ValueError(f"group {sub.group!r} already consumes one of {sorted(sub.topics)}")
        self._subscriptions.append(sub)
        if self._started:
            sub.task = asyncio.create_task(sub.run(), name=f"bus:{sub.group}")

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests and orderly shutdown)."""
        await asyncio.gather(*(s.queue.join() for s in self._subscriptions))
