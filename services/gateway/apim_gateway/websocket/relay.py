"""One accepted connection: frames relayed both ways until either side closes.

Each direction is one task; the first to end decides the close codes, the other is cancelled.
Close codes to the client: the backend's own, 1009 for a message over the client's cap (the
backend then gets 1001), 1001 when the backend's message was over its cap (the backend got 1009),
4003 for a frame over an event limit, and those of ``connections.py`` (4001, 4006, 1001 idle).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Send
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from apim_gateway.observability import WS_FRAMES
from apim_gateway.request.event_limits import EventLimits
from apim_gateway.throttling import ThrottleLevel
from apim_gateway.websocket.handshake import Handshake

THROTTLED = (4003, "Websocket frame throttled out")
TOO_BIG = (1009, "Message too big")
GOING_AWAY = 1001
# Codes a close frame may not carry: what the other side gets instead.
_NOT_SENDABLE = frozenset((1005, 1006, 1015))
Inspect = Callable[[str | bytes], Awaitable[str | None]]


class Connection:
    __slots__ = (
        "backend_code",
        "client_closed",
        "client_code",
        "client_reason",
        "downstream_bytes",
        "downstream_frames",
        "events",
        "handshake",
        "inspect",
        "last_frame",
        "max_client_message",
        "metrics",
        "published",
        "receive",
        "send",
        "started",
        "tasks",
        "throttled",
        "throttled_direction",
        "upstream",
        "upstream_bytes",
        "upstream_frames",
    )

    def __init__(
        self,
        handshake: Handshake,
        upstream: ClientConnection,
        receive: Receive,
        send: Send,
        events: EventLimits | None,
        max_client_message: int,
        inspect: Inspect | None = None,
    ) -> None:
        self.handshake = handshake
        # Reads each client message first: None passes it on, a text answers the client instead
        # (a GraphQL API's subscribe checks, ``request/graphql.py``).
        self.inspect = inspect
        self.upstream = upstream
        self.receive = receive
        self.send = send
        self.events = events
        self.max_client_message = max_client_message
        self.started = time.time()
        # When the sweep last saw frames pass (``publish``), for the idle timeout.
        self.last_frame = time.monotonic()
        name = handshake.api.name
        self.metrics = (WS_FRAMES.labels(name, "upstream"), WS_FRAMES.labels(name, "downstream"))
        self.published = (0, 0)
        self.upstream_frames = self.upstream_bytes = 0
        self.downstream_frames = self.downstream_bytes = 0
        self.client_code: int | None = None
        self.client_reason = ""
        self.backend_code = 1000
        self.client_closed = False
        # The level that refused a frame (the connection then closed 4003), for its fault event.
        self.throttled: ThrottleLevel | None = None
        self.throttled_direction = ""
        self.tasks: tuple[asyncio.Task[None], ...] = ()

    def _end(self, client_code: int, reason: str, backend_code: int, *, client_closed: bool = False) -> None:
        """The first end wins: its codes are those sent."""
        if self.client_code is None:
            self.client_code, self.client_reason, self.backend_code = client_code, reason, backend_code
            self.client_closed = client_closed

    def _throttled(self, level: ThrottleLevel, direction: str) -> None:
        """A frame over an event limit: the connection ends 4003, the level kept for analytics."""
        if self.client_code is None:
            self.throttled, self.throttled_direction = level, direction
        self._end(*THROTTLED, GOING_AWAY)

    def terminate(self, code: int, reason: str) -> None:
        """Closes both ends from outside (a revoked token, an undeployed API, idleness)."""
        self._end(code, reason, GOING_AWAY)
        for task in self.tasks:
            task.cancel()

    def publish(self, now: float) -> None:
        """The frames relayed since the last call go to ``apim_gateway_ws_frames``, and frames
        seen make ``now`` the connection's last activity. The sweep calls it several times a
        second and the end once more: a frame itself only adds to this object's integers, which
        spares it a Prometheus increment (a lock) and a clock read."""
        up, down = self.upstream_frames, self.downstream_frames
        seen_up, seen_down = self.published
        if up == seen_up and down == seen_down:
            return
        self.last_frame = now
        self.published = (up, down)
        if up != seen_up:
            self.metrics[0].inc(up - seen_up)
        if down != seen_down:
            self.metrics[1].inc(down - seen_down)

    async def run(self) -> None:
        self.tasks = tasks = (
            asyncio.create_task(self._to_backend()),
            asyncio.create_task(self._to_client()),
        )
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.publish(time.monotonic())
            if self.client_code is None:
                self._end(1011, "", GOING_AWAY)
            if not self.client_closed:
                with contextlib.suppress(Exception):
                    await self.send(
                        {"type": "websocket.close", "code": self.client_code, "reason": self.client_reason}
                    )
            with contextlib.suppress(Exception):
                await self.upstream.close(self.backend_code)

    async def _to_backend(self) -> None:
        receive, upstream, events = self.receive, self.upstream, self.events
        limit = self.max_client_message
        meter = events.meter if events is not None else None
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                if message["type"] == "websocket.disconnect":
                    code = int(message.get("code") or 1000)
                    self._end(code, "", 1000 if code in _NOT_SENDABLE else code, client_closed=True)
                    return
                continue
            data: str | bytes | None = message.get("bytes")
            if data is None:
                data = message.get("text") or ""
                size = len(data) if data.isascii() else len(data.encode())
            else:
                size = len(data)
            if size > limit:
                self._end(*TOO_BIG, GOING_AWAY)
                return
            if events is not None and (refused := events.take()) is not None:
                if isinstance(refused, int):
                    refused = await events.settle(refused)
                if refused is not None:
                    self._throttled(refused, "upstream")
                    return
            self.upstream_frames += 1
            self.upstream_bytes += size
            if meter is not None:
                meter.count(size)
            if self.inspect is not None and (answer := await self.inspect(data)) is not None:
                await self.send({"type": "websocket.send", "text": answer})
                continue
            try:
                await upstream.send(data)
            except ConnectionClosed as closed:
                self._backend_closed(closed)
                return

    async def _to_client(self) -> None:
        send, upstream, events = self.send, self.upstream, self.events
        meter = events.meter if events is not None else None
        try:
            while True:
                data = await upstream.recv()
                if events is not None and (refused := events.take()) is not None:
                    if isinstance(refused, int):
                        refused = await events.settle(refused)
                    if refused is not None:
                        self._throttled(refused, "downstream")
                        return
                self.downstream_frames += 1
                message: Message
                if isinstance(data, str):
                    size = len(data) if data.isascii() else len(data.encode())
                    message = {"type": "websocket.send", "text": data}
                else:
                    size = len(data)
                    message = {"type": "websocket.send", "bytes": data}
                self.downstream_bytes += size
                if meter is not None:
                    meter.count(size)
                await send(message)
        except ConnectionClosed as closed:
            self._backend_closed(closed)

    def _backend_closed(self, closed: ConnectionClosed) -> None:
        """The client gets the backend's close code, or what stands for it."""
        if closed.sent is not None and closed.sent.code == TOO_BIG[0]:
            self._end(GOING_AWAY, "The backend's message was too big", TOO_BIG[0])
        elif closed.rcvd is not None and closed.rcvd.code not in _NOT_SENDABLE:
            self._end(closed.rcvd.code, closed.rcvd.reason, closed.rcvd.code)
        elif closed.rcvd is not None:
            self._end(1000, "", 1000)
        else:
            self._end(1011, "The backend connection was lost", 1011)
