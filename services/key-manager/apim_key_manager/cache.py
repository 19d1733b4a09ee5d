"""Values read from the database, kept per key for a while, each key loaded by one reader at a time.

Without the single load, every request that misses while a load is in flight starts its own: at a
few thousand tokens a second, each expiry of a client record or a role map read it once per
request in flight (32 loads of the same rows for 32 connections), more database work than the
tokens themselves.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from apim_common.tasks import SingleFlight

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LoadingCache(Generic[K, V]):
    """``get`` answers a key's value younger than ``ttl`` seconds, else loads it once for every
    concurrent caller. A None value is not kept (an unknown client may be created next)."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._values: dict[K, tuple[float, V]] = {}
        self._loads: SingleFlight[K, V | None] = SingleFlight()
        # Bumped by every ``forget``: a load begun before it does not store what it read.
        self._generation = 0

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        entry = self._values.get(key)
        if entry is not None and time.monotonic() - entry[0] < self._ttl:
            return entry[1]
        generation = self._generation
        return await self._loads.run(key, lambda: self._load(key, load, generation))

    async def _load(self, key: K, load: Callable[[], Awaitable[V | None]], generation: int) -> V | None:
        started = time.monotonic()
        value = await load()
        if value is not None and generation == self._generation:
            self._values[key] = (started, value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop ``key`` (every key when None); loads in flight keep their answer to themselves."""
        self._generation += 1
        self._loads.forget(key)
        if key is None:
            self._values.clear()
        else:
            self._values.pop(key, None)
