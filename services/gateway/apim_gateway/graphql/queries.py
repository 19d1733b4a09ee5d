"""Queries parsed, validated and analysed once, then served from a bounded cache.

A query is refused (``QueryRefused``) when its text is over the size cap, has more tokens than the
cap (graphql-core's ``parse(max_tokens=...)`` stops there), merges so many same-named fields that
checking them would cost too much (``merging.py``), or fails validation against the API's schema,
every rule of the specification (400 900422). A query not in the cache is analysed on a worker
thread of its own: the interpreter hands the event loop back every millisecond however long the
analysis takes, so even the dearest document the caps allow (tens of ms for graphql-core) does
not stall the other requests. The cache is an LRU keyed by
(API, deployed revision, operation name, sha256 of the query), refusals included, so a repeated
query costs a hash and a lookup (docs/decisions/0023-graphql-query-analysis.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor

from apim_gateway.graphql.model import Analysis, QueryRefused, invalid
from apim_gateway.graphql.schema import CompiledSchema

# The interpreter's switch interval while a query is analysed on the worker thread (seconds).
SWITCH_INTERVAL = 0.001


class QueryAnalyser:
    """The cache of analysed queries and the thread that fills it."""

    def __init__(self, *, max_entries: int, max_tokens: int, max_query_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_tokens = max_tokens
        self.max_query_bytes = max_query_bytes
        self._entries: OrderedDict[Hashable, Analysis | QueryRefused] = OrderedDict()
        self._worker: ThreadPoolExecutor | None = None
        # While the worker analyses, the interpreter's switch interval is at most this: the loop
        # waits that long at most for the lock the worker holds (5 ms by default), then serves its
        # other requests; restored when no analysis is left (None: left alone).
        self.switch_interval: float | None = SWITCH_INTERVAL
        self._running = 0
        self._saved_interval: float | None = None
        # What the request path made of a whole request (``request/graphql.py``), by its raw
        # bytes: a repeated one skips the JSON parse, the hash and the election. Bounded as the
        # analyses are, so only requests without variables are kept (their values would make
        # each request a new entry).
        self._requests: OrderedDict[Hashable, object] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def analyse(
        self, api: Hashable, compiled: CompiledSchema, query: str, operation_name: str | None
    ) -> Analysis:
        """``api`` names the deployed revision; raises ``QueryRefused``."""
        text = query.encode()
        if len(text) > self.max_query_bytes:
            raise invalid(f"The query is larger than the {self.max_query_bytes} bytes this gateway accepts")
        key = (api, operation_name, hashlib.sha256(text).digest())
        entries = self._entries
        found = entries.get(key)
        if found is None:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-analysis")
            # graphql-core is loaded with the first query to analyse, not with the gateway.
            from apim_gateway.graphql.prepare import prepare

            self._running += 1
            if self._running == 1 and self.switch_interval:
                self._saved_interval = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved_interval, self.switch_interval))
            try:
                found = await asyncio.get_running_loop().run_in_executor(
                    self._worker, prepare, compiled, query, operation_name, self.max_tokens
                )
            finally:
                self._running -= 1
                if self._running == 0 and self._saved_interval is not None:
                    sys.setswitchinterval(self._saved_interval)
                    self._saved_interval = None
            if self.max_entries:
                entries[key] = found
                if len(entries) > self.max_entries:
                    entries.popitem(last=False)
        else:
            entries.move_to_end(key)
        if isinstance(found, QueryRefused):
            raise found
        return found

    def recall(self, key: Hashable) -> object | None:
        """What ``remember`` kept under ``key``, if it still holds it."""
        found = self._requests.get(key)
        if found is not None:
            self._requests.move_to_end(key)
        return found

    def remember(self, key: Hashable, value: object) -> None:
        if self.max_entries:
            requests = self._requests
            requests[key] = value
            if len(requests) > self.max_entries:
                requests.popitem(last=False)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
            self._worker = None
