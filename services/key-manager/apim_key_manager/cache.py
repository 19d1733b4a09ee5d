"""Values read from the database, kept per key for a while, each key loaded by one reader at a time.

Without the single load, every request that misses while a load is in flight starts its own: at a
few thousand tokens a second, each expiry of a client record or a role map read it once per
request in flight (32 loads of the same rows for 32 connections), more database work than the
tokens themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LoadingCache(Generic[K, V]):
    """``get`` answers a key's value younger than ``ttl`` seconds, else loads it once for every
    concurrent caller. A None value is not kept (an unknown client may be created next)."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._values: dict[K, tuple[float, V]] = {}
        self._pending: dict[K, asyncio.Future[V | None]] = {}
        # Bumped by every ``forget``: a load begun before it does not store what it read.
        self._generation = 0

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        entry = self._values.get(key)
        if entry is not None and time.monotonic() - entry[0] < self._ttl:
            return entry[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key, load, self._generation))
            self._pending[key] = pending
        # Shielded: a caller that goes away does not cancel the others' load.
        return await asyncio.shield(pending)

    async def _load(self, key: K, load: Callable[[], Awaitable[V | None]], generation: int) -> V | None:
        started = time.monotonic()
        try:
            value = await load()
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
        if value is not None and generation == self._generation:
            self._values[key] = (started, value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop ``key`` (every key when None); loads in flight keep their answer to themselves."""
        self._generation += 1
        if key is None:
            self._values.clear()
            self._pending.clear()
        else:
            self._values.pop(key, None)
            self._pending.pop(key, None)
