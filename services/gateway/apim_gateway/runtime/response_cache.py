"""The gateway's response cache: backend answers kept in this process, bounded, least recently
used first out.

One store serves every API of the gateway; an entry is found by a base key (tenant, API, deployed
revision, method, backend path and query, ``Accept``, the caller) and the values of the request
headers the backend's ``Vary`` named for that base key. Entries expire after their lifetime (read
from ``clock``, which tests replace) and are dropped with their API's revision (``drop_api``).
Bounds: ``max_entries`` entries, ``max_bytes`` in all (bodies, headers and a fixed overhead per
entry), ``max_entry_bytes`` per body; beyond the first two the least recently used go.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# tenant, API id, revision, method, path, query, Accept, redirect target, application, user, key type
BaseKey = tuple[str, str, str, str, str, str, str, str, str | None, str | None, str]
Key = tuple[BaseKey, tuple[str | None, ...]]

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024
# What an entry costs beyond its body and headers (the key, the objects, the dict slots), roughly.
ENTRY_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # as the backend sent them, less hop-by-hop ones
    body: bytes
    expires: float  # on the cache's clock
    size: int  # what it counts against ``max_bytes``


@dataclass(slots=True)
class _Variants:
    """The entries of one base key, and the request headers (``Vary``) that tell them apart."""

    names: tuple[str, ...]
    keys: set[Key] = field(default_factory=set)


def vary_values(headers: Iterable[tuple[str, str]], names: tuple[str, ...]) -> tuple[str | None, ...]:
    """The request's values of the ``Vary`` headers, repeated headers joined as one."""
    if not names:
        return ()
    found: dict[str, list[str]] = {}
    for name, value in headers:
        if name in names:
            found.setdefault(name, []).append(value.strip())
    return tuple(", ".join(found[name]) if name in found else None for name in names)


class ResponseCache:
    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.clock = clock
        self.size = 0
        self._entries: OrderedDict[Key, CachedResponse] = OrderedDict()
        self._variants: dict[BaseKey, _Variants] = {}
        self._apis: dict[str, set[BaseKey]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, base: BaseKey, headers: Iterable[tuple[str, str]]) -> CachedResponse | None:
        """The fresh entry for this request, now the most recently used; None on a miss."""
        variants = self._variants.get(base)
        if variants is None:
            return None
        key = (base, vary_values(headers, variants.names))
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self.clock():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(
        self,
        base: BaseKey,
        vary: tuple[str, ...],
        headers: Iterable[tuple[str, str]],
        response: tuple[int, tuple[tuple[bytes, bytes], ...], bytes],
        lifetime: float,
    ) -> bool:
        """Keep the backend's answer for ``lifetime`` seconds; False when it is too big to keep."""
        status, response_headers, body = response
        size = len(body) + sum(len(k) + len(v) for k, v in response_headers) + ENTRY_OVERHEAD
        if len(body) > self.max_entry_bytes or size > self.max_bytes or self.max_entries <= 0:
            return False
        variants = self._variants.get(base)
        if variants is not None and variants.names != vary:
            # The backend names other headers now: the old variants can no longer be told apart.
            for stale in list(variants.keys):
                self._remove(stale)
            variants = None
        if variants is None:
            variants = self._variants[base] = _Variants(vary)
            self._apis.setdefault(base[1], set()).add(base)
        key = (base, vary_values(headers, vary))
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self.size -= replaced.size
        self._entries[key] = CachedResponse(status, response_headers, body, self.clock() + lifetime, size)
        variants.keys.add(key)
        self.size += size
        entries = self._entries
        while len(entries) > self.max_entries or self.size > self.max_bytes:
            self._remove(next(iter(entries)))
        return True

    def drop_api(self, api_id: str) -> None:
        """Forget every entry of the API (a new revision, an undeployment, a retired API)."""
        for base in self._apis.pop(api_id, ()):
            variants = self._variants.pop(base, None)
            if variants is None:
                continue
            for key in variants.keys:
                entry = self._entries.pop(key, None)
                if entry is not None:
                    self.size -= entry.size

    def clear(self) -> None:
        self._entries.clear()
        self._variants.clear()
        self._apis.clear()
        self.size = 0

    def _remove(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size
        base = key[0]
        variants = self._variants.get(base)
        if variants is None:
            return
        variants.keys.discard(key)
        if not variants.keys:
            del self._variants[base]
            bases = self._apis.get(base[1])
            if bases is not None:
                bases.discard(base)
                if not bases:
                    del self._apis[base[1]]
