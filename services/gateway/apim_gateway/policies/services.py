"""Long-lived clients and background work the built-in policies share.

The gateway makes one ``PolicyServices``, binds its ``UpstreamClient`` to it in its lifespan and
drains the background tasks on shutdown (``aclose``); the engine hands it to each policy it
compiles (``Policy.bind_services``). Policies never create a client per request: a policy used
alone (a tool, a test) gets services of its own, whose client is created on first use and kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from apim_gateway.upstream import UpstreamClient

logger = logging.getLogger(__name__)

# Background work (mirrored requests) beyond this many at once is dropped, not queued: a slow
# mirror target must not make the gateway hold an unbounded number of copies.
MAX_BACKGROUND_TASKS = 512


class PolicyServices:
    def __init__(self) -> None:
        self._upstream: UpstreamClient | None = None
        self._owned: UpstreamClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.dropped = 0

    def bind(self, upstream: UpstreamClient | None) -> None:
        """Use the gateway's client (None: go back to a client of the policies' own)."""
        self._upstream = upstream

    @property
    def upstream(self) -> UpstreamClient:
        if self._upstream is not None:
            return self._upstream
        if self._owned is None:
            self._owned = UpstreamClient()
        return self._owned

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> bool:
        """Run ``work`` in the background; False (and ``work`` discarded) when too much is running."""
        if len(self._tasks) >= MAX_BACKGROUND_TASKS:
            work.close()
            self.dropped += 1
            logger.warning("dropped background %s: %d tasks already running", what, len(self._tasks))
            return False
        task = asyncio.get_running_loop().create_task(work, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("background %s failed: %r", task.get_name(), task.exception())

    async def drain(self) -> None:
        """Wait for the background work running now."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        if self._owned is not None:
            await self._owned.aclose()
            self._owned = None
