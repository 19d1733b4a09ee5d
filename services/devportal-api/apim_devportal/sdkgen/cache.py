"""Generated zips by key, in memory, bounded by their total size (least recently used dropped
first); concurrent requests for one key share one generation."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from apim_common.tasks import SingleFlight


class ZipCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._zips: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._making: SingleFlight[Hashable, bytes] = SingleFlight()

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._zips)

    async def get(self, key: Hashable, make: Callable[[], Awaitable[bytes]]) -> bytes:
        """The zip of ``key``: cached, else the one being made for another caller, else made now.

        A caller that goes away does not cancel a generation others may be waiting for."""
        cached = self._zips.get(key)
        if cached is not None:
            self._zips.move_to_end(key)
            return cached
        return await self._making.run(key, lambda: self._make(key, make))

    async def _make(self, key: Hashable, make: Callable[[], Awaitable[bytes]]) -> bytes:
        made = await make()
        self._keep(key, made)
        return made

    def _keep(self, key: Hashable, made: bytes) -> None:
        if len(made) > self.max_bytes:
            return
        self._zips[key] = made
        self._size += len(made)
        while self._size > self.max_bytes:
            _, dropped = self._zips.popitem(last=False)
            self._size -= len(dropped)
