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
import logging
import sys
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from graphql import GraphQLError, parse, specified_rules, validate

from apim_gateway.graphql.analysis import Analysis, analyse, operation_of
from apim_gateway.graphql.merging import TooDearToMerge, check_merging_cost
from apim_gateway.graphql.schema import CompiledSchema

logger = logging.getLogger(__name__)

INVALID_QUERY: Final = ("900422", "INVALID QUERY")
QUERY_TOO_DEEP: Final = ("900820", "QUERY TOO DEEP")
QUERY_TOO_COMPLEX: Final = ("900821", "QUERY TOO COMPLEX")
INTROSPECTION_OFF: Final = ("900908", "Resource forbidden ")
# WSO2's close codes of a GraphQL subscription over WebSocket.
CLOSE_FORBIDDEN = 4002
CLOSE_THROTTLED = 4003
CLOSE_TOO_DEEP = 4020
CLOSE_TOO_COMPLEX = 4021
CLOSE_INVALID = 4022
# The interpreter's switch interval while a query is analysed on the worker thread (seconds).
SWITCH_INTERVAL = 0.001


class QueryRefused(Exception):
    """A query the gateway answers itself: ``status`` with the WSO2 code, or ``close_code`` on a
    WebSocket."""

    def __init__(self, status: int, error: tuple[str, str], description: str, close_code: int) -> None:
        super().__init__(description)
        self.status = status
        self.code, self.message = error
        self.description = description
        self.close_code = close_code


def invalid(description: str) -> QueryRefused:
    return QueryRefused(400, INVALID_QUERY, description, CLOSE_INVALID)


def prepare(
    compiled: CompiledSchema, query: str, operation_name: str | None, max_tokens: int
) -> Analysis | QueryRefused:
    """Parse, validate and analyse one query (on the worker thread); a refusal is returned."""
    try:
        document = parse(query, max_tokens=max_tokens, allow_empty_selection_sets=False)
        # Every rule of the specification, OverlappingFieldsCanBeMergedRule too, once the count
        # of its comparisons says it costs a few ms at most (``merging.py``).
        check_merging_cost(document)
        errors = validate(
            compiled.schema, document, specified_rules, max_errors=10, allow_empty_selection_sets=False
        )
        if errors:
            return invalid("; ".join(error.message for error in errors))
        operation = operation_of(document, operation_name)
        if operation is None:
            wanted = f"no operation named '{operation_name}'" if operation_name else "no operation"
            return invalid(f"The document has {wanted}, or several and no operationName")
        return analyse(compiled, document, operation)
    except TooDearToMerge as exc:
        return invalid(str(exc))
    except GraphQLError as exc:
        return invalid(exc.message)
    except RecursionError:
        return invalid("The document is nested too deeply")
    except Exception:  # a flaw of the analysis must not fail the request with a 500
        logger.exception("a GraphQL query could not be analysed")
        return invalid("The query could not be analysed")


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
