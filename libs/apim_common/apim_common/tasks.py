"""Background tasks that a component starts and must stop before it closes what they use, and
work that concurrent callers of one key share."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel each task and wait until all have ended, so nothing they hold is used after this
    returns. A task that had already failed is logged rather than raised: stopping goes on."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    results = await asyncio.gather(*running, return_exceptions=True)
    for task, result in zip(running, results, strict=True):
        if isinstance(result, Exception):
            logger.error("background task %s had failed", task.get_name(), exc_info=result)


class SingleFlight(Generic[K, V]):
    """One run of a key's work for every caller that asks while it runs: a cache's load or a
    generation, so that concurrent misses of one key do the work once. A caller that goes away
    does not cancel the run others wait for, and a run's failure is read even when every caller
    has gone, so it is not reported as never retrieved."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(self._run(key, work))
            running.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._running[key] = running
        return await asyncio.shield(running)

    async def _run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        try:
            return await work()
        finally:
            if self._running.get(key) is asyncio.current_task():
                del self._running[key]

    def forget(self, key: K | None = None) -> None:
        """The next caller of ``key`` (of every key when None) starts a run of its own; runs in
        flight finish for the callers already waiting on them."""
        if key is None:
            self._running.clear()
        else:
            self._running.pop(key, None)
