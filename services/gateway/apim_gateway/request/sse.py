"""Server-Sent Events APIs (type ``SSE``): the backend's stream relayed as it comes, event by event.

An event ends at a blank line, lines ending with CRLF, LF or CR, wherever the backend's chunks
split them. Every event with a field counts one on the stream's ``EVENTCOUNTLIMIT`` tiers, at the
keys and through the limiter WebSocket frames use (``request/event_limits.py``); a block of comments
alone (a keep-alive) passes uncounted. While a limit applies, an event is sent once it is whole
and admitted, so a stream over its limit ends after its last allowed event and never in the
middle of one; a client's ``EventSource`` dispatches nothing before the blank line anyway. Without
a limit, every chunk is sent the moment it arrives. A call made once a window is known to be spent
is refused with 429 and the level's code, as an HTTP call is, rather than opened with 200 and
ended with no event.

Bandwidth tiers (``BANDWIDTHLIMIT``) of those levels count the bytes sent to the client, as
they do a WebSocket connection's: a stream is refused 429 with the level's code once the window's
bytes have reached the limit, and its bytes are in the shared count once it has ended.

The backend's head must come within the endpoint's timeout; after it, the stream may stay quiet
for as long as it likes, unless the API's production endpoint sets ``actionDuration``, which is
then the longest silence before the stream is ended. A client that goes away closes the backend
connection at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from starlette.types import Receive, Send

from apim_gateway.context import AuthContext
from apim_gateway.observability import SSE_STREAM_EVENT, SSE_THROTTLED_EVENT
from apim_gateway.request.analytics_event import (
    StreamRecord,
    throttled_record,
)
from apim_gateway.request.event_limits import EventLimits, event_limits
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.throttling import ThrottleLevel
from apim_gateway.upstream import UpstreamError, UpstreamResponse

logger = logging.getLogger(__name__)

# The most an event held for its limit may grow to before the stream is ended as broken.
MAX_EVENT_BYTES = 16 * 1024 * 1024

_LINE_END = re.compile(rb"\r\n|\r|\n")
_COLON = 0x3A
_CR = 0x0D


class EventFramer:
    """Finds where events end in a ``text/event-stream`` body fed chunk by chunk."""

    __slots__ = ("buffer", "fields", "line")

    def __init__(self) -> None:
        self.buffer = bytearray()  # from the end of the last block taken
        self.line = 0  # where the line being read starts in ``buffer``
        self.fields = False  # the block being read has a line other than a comment

    def feed(self, chunk: bytes) -> list[tuple[int, bool]]:
        """The ends in ``buffer`` of the blocks ``chunk`` completes, each with whether it is an
        event (has a field) rather than comments alone."""
        buffer = self.buffer
        buffer += chunk
        size = len(buffer)
        pos = self.line
        ends: list[tuple[int, bool]] = []
        search = _LINE_END.search
        while (match := search(buffer, pos)) is not None:
            start, end = match.span()
            if end == size and end - start == 1 and buffer[start] == _CR:
                break  # a CR the next chunk may complete as CRLF
            if start == pos:
                ends.append((end, self.fields))
                self.fields = False
            elif buffer[pos] != _COLON:
                self.fields = True
            pos = end
        self.line = pos
        return ends

    def take(self, end: int) -> bytes:
        """The bytes up to ``end``, out of the buffer."""
        taken = bytes(self.buffer[:end])
        self.drop(end)
        return taken

    def drop(self, end: int) -> None:
        del self.buffer[:end]
        self.line -= end


class EventStream:
    """One SSE API call's stream: its limits, and what it relayed for the analytics event."""

    __slots__ = (
        "api",
        "auth",
        "client_gone",
        "client_ip",
        "events",
        "head_at",
        "headers",
        "idle_timeout",
        "limits",
        "op",
        "opened",
        "receive",
        "sent_bytes",
        "services",
        "started",
        "throttled",
    )

    def __init__(
        self,
        services: Services,
        receive: Receive,
        api: CompiledApi,
        op: Operation,
        auth: AuthContext,
        client_ip: str,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        assert api.sse is not None
        self.services = services
        self.receive = receive
        self.api = api
        self.op = op
        self.auth = auth
        self.client_ip = client_ip
        self.idle_timeout = api.sse.idle_timeout
        self.limits: EventLimits | None = event_limits(
            services.rate_limits.limiter, services.state.tiers.get(api.tenant), api, op, auth, client_ip
        )
        self.headers = headers or []  # the request's, for the analytics event
        self.started = time.time()
        self.opened = time.perf_counter()
        self.head_at: float | None = None  # when the backend's head came
        self.events = 0
        self.sent_bytes = 0
        # The level that refused an event (the stream then ended), for its fault event.
        self.throttled: ThrottleLevel | None = None
        self.client_gone = False

    async def open(self) -> None:
        """Raises the 429 of a level whose window is spent (its events or its bytes)."""
        limits = self.limits
        if limits is not None:
            await limits.admit_connection()

    async def relay(
        self, send: Send, upstream: UpstreamResponse, headers: list[tuple[bytes, bytes]], status: int
    ) -> None:
        """The response head, then each chunk or whole admitted event as it comes."""
        self.head_at = time.perf_counter()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        framer = EventFramer() if status == 200 and _is_event_stream(headers) else None
        watcher = asyncio.create_task(self._watch(upstream))
        try:
            await self._pump(send, upstream, framer)
        except UpstreamError:
            if not self.client_gone:
                logger.warning("the backend broke off an event stream")
                raise
        finally:
            watcher.cancel()
            self._record(status)
            if self.limits is not None:
                await self.limits.closed()
        if not self.client_gone:
            await send({"type": "http.response.body", "body": b""})

    async def _pump(self, send: Send, upstream: UpstreamResponse, framer: EventFramer | None) -> None:
        limits, idle = self.limits, self.idle_timeout
        meter = limits.meter if limits is not None else None
        if limits is not None and not limits.levels:
            limits = None  # bytes alone are counted: chunks need not wait for their event's end
        chunks = upstream.iter_body()
        while True:
            try:
                if idle is None:
                    chunk = await anext(chunks)
                else:
                    async with asyncio.timeout(idle):
                        chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except TimeoutError:
                upstream.close()  # quiet for longer than the API allows
                break
            stop = False
            if framer is None:
                out = chunk
            elif limits is None:
                out = chunk
                ends = framer.feed(chunk)
                if ends:
                    self.events += sum(1 for _, counts in ends if counts)
                    framer.drop(ends[-1][0])
            else:
                admitted = 0
                for end, counts in framer.feed(chunk):
                    if counts:
                        refused = await limits.admit()
                        if refused is not None:
                            self.throttled = refused
                            stop = True
                            break
                        self.events += 1
                    admitted = end
                out = framer.take(admitted) if admitted else b""
                if len(framer.buffer) > MAX_EVENT_BYTES:
                    raise UpstreamError(f"an event of more than {MAX_EVENT_BYTES} bytes")
            if out:
                self.sent_bytes += len(out)
                if meter is not None:
                    meter.count(len(out))
                await send({"type": "http.response.body", "body": out, "more_body": True})
            if stop:
                upstream.close()
                break

    async def _watch(self, upstream: UpstreamResponse) -> None:
        """Closes the backend's stream when the client goes away (a server may drop what is
        sent after that without a word)."""
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.client_gone = True
        upstream.close()

    def _record(self, status: int) -> None:
        """The stream's event, and the fault event of the event a limit refused, if one was."""
        analytics = self.services.analytics
        if not analytics.enabled:
            return
        api, op, auth, builder = self.api, self.op, self.auth, self.services.events
        group = api.backends.get(auth.key_type)
        destination = group.endpoints[0].url if group is not None and group.endpoints else None
        if self.throttled is not None:
            analytics.record(
                throttled_record(
                    builder,
                    SSE_THROTTLED_EVENT,
                    api,
                    "GET",
                    op.target,
                    auth,
                    self.client_ip,
                    self.headers,
                    self.throttled,
                    destination=destination,
                    properties={"direction": "downstream"},
                )
            )
        head = (self.head_at or time.perf_counter()) - self.opened
        analytics.record(
            StreamRecord(
                builder,
                SSE_STREAM_EVENT,
                api,
                "GET",
                op.target,
                auth,
                self.client_ip,
                self.headers,
                at=self.started,
                proxy_status=status,
                target_status=status,
                latencies=(head, head, 0.0),
                destination=destination,
                properties={
                    "eventsToClient": self.events,
                    "bytesToClient": self.sent_bytes,
                    "responseSize": self.sent_bytes,
                    "responseContentType": "text/event-stream",
                    "durationMs": round((time.time() - self.started) * 1000),
                    "clientClosed": self.client_gone,
                },
            )
        )


def _is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"text/event-stream"
    return False
