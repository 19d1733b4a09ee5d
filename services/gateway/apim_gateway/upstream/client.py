"""A lean HTTP/1.1 client for the proxy path: asyncio Protocol + the httptools (llhttp) parser.

Why not httpx or aiohttp: measured on these machines (docs/decisions/0004), httpx's pool
bookkeeping collapsed to ~140 RPS at 64 connections and aiohttp reached ~8k, while a Protocol
with httptools reached 20-23k per core. This client does only what a gateway needs: keep-alive
pools per origin, connect/read timeouts, one retry when a reused idle connection turns out closed,
and bodies streamed both ways with back-pressure: a request body given as a ``BodyStream`` is
written while it is read from its source (``Content-Length`` passed through, or chunked), and
response bodies are delivered as they arrive; neither is buffered whole unless the caller asks.

    UpstreamError
    ├── ConnectError       the origin refused or did not answer the connect in time
    │   └── EndpointDenied the origin resolves to an address in the operator's deny-list
    └── UpstreamTimeout    no complete response head within the read timeout, or the origin
                           took no more of a streamed request body for that long
    RequestBodyError       the request body's source failed (its client went away mid-upload):
                           not the origin's fault, so not an UpstreamError
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from httptools import HttpParserError, HttpResponseParser

from apim_common import crypto_policy
from apim_common.outbound import IPNetwork, in_networks

Headers = list[tuple[bytes, bytes]]

_IDEMPOTENT = frozenset((b"GET", b"HEAD", b"OPTIONS", b"PUT", b"DELETE", b"TRACE"))
_BODY_METHODS = frozenset((b"POST", b"PUT", b"PATCH"))
_HIGH_WATER = 1 << 20  # pause reading from the origin while this much body waits unread
_LOW_WATER = 1 << 18


class UpstreamError(Exception):
    """The origin could not be reached or broke the exchange."""


class ConnectError(UpstreamError):
    pass


class EndpointDenied(ConnectError):
    """The endpoint's address is one the operator keeps backends away from (the metadata service,
    the control plane): checked when a connection opens, so pooled requests pay nothing."""


class UpstreamTimeout(UpstreamError):
    pass


class RequestBodyError(Exception):
    """A streamed request body could not be read whole from its source."""


class BodyStream:
    """A request body written to the origin while it is read from ``chunks``.

    ``length`` is sent as Content-Length and checked against what the source yields; without it
    the body goes chunked. A stream can be sent once: once ``started``, the request cannot be
    sent again (no retry on another connection, no failover to another endpoint).
    """

    __slots__ = ("chunks", "length", "started")

    def __init__(self, chunks: AsyncIterable[bytes], length: int | None = None) -> None:
        self.chunks = chunks
        self.length = length
        self.started = False


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    # Host header value, precomputed once per endpoint.
    authority: bytes = field(default=b"")
    # What follows the request target in every request head: the version and the Host line.
    head_tail: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "head_tail", b" HTTP/1.1\r\nhost: " + self.authority + b"\r\n")

    @classmethod
    def of(cls, scheme: str, host: str, port: int | None = None) -> Origin:
        default = 443 if scheme == "https" else 80
        real_port = port or default
        authority = host if real_port == default else f"{host}:{real_port}"
        return cls(scheme, host, real_port, authority.encode("idna"))


class UpstreamResponse:
    """Status and headers at once; the body as it arrives (``read`` or ``iter_body``)."""

    __slots__ = ("_chunks", "_complete", "_conn", "_error", "_size", "_waiter", "headers", "status")

    def __init__(self, conn: _Connection, status: int, headers: Headers) -> None:
        self._conn = conn
        self.status = status
        self.headers = headers
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._complete = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def feed(self, chunk: bytes) -> None:
        """A piece of the body, from the connection reading this response."""
        self._chunks.append(chunk)
        self._size += len(chunk)
        if self._size > _HIGH_WATER:
            self._conn.pause()
        self._wake()

    def finish(self, error: BaseException | None = None) -> None:
        """The body is whole, or (``error``) the connection broke off in the middle of it."""
        self._complete = True
        self._error = error
        self._wake()

    async def iter_body(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._size -= len(chunk)
                if self._size < _LOW_WATER:
                    self._conn.resume()
                yield chunk
            if self._complete:
                if self._error is not None:
                    raise UpstreamError("the origin closed the connection mid-body") from self._error
                return
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None

    @property
    def complete(self) -> bool:
        """The whole body has arrived (``read`` will not wait)."""
        return self._complete

    def close(self) -> None:
        """Give up on the rest of the body: the connection is closed rather than reused."""
        if not self._complete:
            self._conn.close()
            self._chunks.clear()
            self._size = 0

    async def read(self) -> bytes:
        if self._complete and self._error is None:
            body = b"".join(self._chunks)
            self._chunks.clear()
            self._size = 0
            return body
        return b"".join([chunk async for chunk in self.iter_body()])


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one exchange at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.closed = False
        self.used = False
        self.paused = False
        # True while a streamed request body is being written: an answer that comes before the
        # body is whole leaves the request unfinished on the wire, so the connection is not reused.
        self.sending_body = False
        self._interim = False
        self._write_paused = False
        self._drained: asyncio.Future[None] | None = None
        self._head_only = False
        self._headers: Headers = []
        self._head: asyncio.Future[UpstreamResponse] | None = None
        self._response: UpstreamResponse | None = None
        # The read timeout: ``_deadline`` is when the awaited head is overdue (None: nothing
        # awaited). One timer per connection, re-armed only when it fires early, so a kept-alive
        # connection does not create and cancel a timer handle per request.
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check here.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except HttpParserError as exc:
            self._fail(UpstreamError(f"malformed response from the origin: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.open.discard(self)
        self._fail(exc or ConnectionResetError("the origin closed the connection"))
        self._wake_writer()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_writer()

    def _wake_writer(self) -> None:
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # An interim answer (100 Continue, 103 Early Hints): the final one follows.
            self._interim = True
            self._headers = []
            return
        response = UpstreamResponse(self, status, self._headers)
        self._headers = []
        self._response = response
        self._cancel_timer()
        if self._head is not None and not self._head.done():
            self._head.set_result(response)
        if self._head_only:
            # A HEAD answer has no body whatever its Content-Length says; llhttp cannot be told.
            self.parser = HttpResponseParser(self)
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        if self._response is not None:
            self._response.feed(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        response, self._response = self._response, None
        self._head = None
        keep_alive = not self._head_only and not self.sending_body and self.parser.should_keep_alive()
        if response is not None:
            response.finish()
        if keep_alive and not self.closed:
            self.pool.release(self)
        else:
            self.close()

    # exchange
    def send(self, data: bytes, head_only: bool, timeout: float | None) -> asyncio.Future[UpstreamResponse]:
        """Write ``data``; the read timeout starts now, or once ``send_body`` has sent the body."""
        assert self.transport is not None
        self.used = True
        self._head_only = head_only
        loop = asyncio.get_running_loop()
        self._head = loop.create_future()
        if timeout is not None:
            self._arm(loop, timeout)
        self.transport.write(data)
        return self._head

    async def send_body(self, body: BodyStream, read_timeout: float) -> None:
        """Write ``body`` as its source yields it, waiting while the origin's socket is full."""
        try:
            await self._write_body(body, read_timeout)
        except Exception as exc:  # never leave the exchange waiting on a writer that died
            self._abort(UpstreamError(f"sending the request body failed: {exc!r}"))

    async def _write_body(self, body: BodyStream, read_timeout: float) -> None:
        transport = self.transport
        assert transport is not None
        body.started = True
        self.sending_body = True
        length = body.length
        sent = 0
        source = aiter(body.chunks)
        # With a length, stop at it: the origin may answer as soon as it has that many bytes, and
        # the connection stays reusable only if the body was finished first.
        while length is None or sent < length:
            try:
                chunk = await anext(source)
            except StopAsyncIteration:
                break
            except RequestBodyError as exc:
                self._abort(exc)
                return
            except Exception as exc:
                self._abort(RequestBodyError(f"the request body could not be read: {exc!r}"))
                return
            if self.closed or transport.is_closing() or self._head is None:
                return  # the exchange failed meanwhile
            if not chunk:
                continue
            sent += len(chunk)
            if length is None:
                transport.write(b"%x\r\n" % len(chunk))
                transport.write(chunk)
                transport.write(b"\r\n")
            elif sent > length:
                self._abort(RequestBodyError(f"the request body is longer than its Content-Length {length}"))
                return
            else:
                transport.write(chunk)
            if self._write_paused and not await self._drain(read_timeout):
                return
        if length is not None and sent != length:
            self._abort(RequestBodyError(f"the request body ended after {sent} of {length} bytes"))
            return
        if length is None:
            transport.write(b"0\r\n\r\n")
        self.sending_body = False
        head = self._head
        if head is not None and not head.done() and self._deadline is None:
            self._arm(asyncio.get_running_loop(), read_timeout)

    async def _drain(self, read_timeout: float) -> bool:
        """Wait until the origin takes more of the body; False when the exchange ended instead."""
        while self._write_paused and not self.closed:
            self._drained = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(read_timeout):
                    await self._drained
            except TimeoutError:
                self._abort(
                    UpstreamTimeout(f"the origin took no more of the request body for {read_timeout:g} s")
                )
                return False
            finally:
                self._drained = None
        return not self.closed

    def _abort(self, exc: BaseException) -> None:
        self._fail(exc)
        self.close()

    def _arm(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        deadline = self._deadline = loop.time() + timeout
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None:  # answered (or failed) meanwhile: no timer until the next request
            return
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:  # a later request's deadline: wait for that one
            self._timer = loop.call_at(deadline, self._check_deadline)
            return
        self._fail(UpstreamTimeout("the origin did not answer in time"))
        self.close()

    def _cancel_timer(self) -> None:
        self._deadline = None

    def _fail(self, exc: BaseException) -> None:
        self._cancel_timer()
        if self._head is not None and not self._head.done():
            if not isinstance(exc, UpstreamError | RequestBodyError):
                exc = UpstreamError(str(exc))
            self._head.set_exception(exc)
        self._head = None
        if self._response is not None:
            self._response.finish(exc)
            self._response = None

    def pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused and self.transport is not None and not self.closed:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.transport.close()


class _Pool:
    def __init__(
        self,
        origin: Origin,
        ssl_context: ssl.SSLContext | None,
        max_idle: int,
        connect_timeout: float,
        deny: Sequence[IPNetwork] = (),
    ):
        self.origin = origin
        self.deny = deny
        self.ssl_context = ssl_context
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self.idle: deque[_Connection] = deque()
        self.open: set[_Connection] = set()

    def idle_connection(self) -> _Connection | None:
        """A kept-alive connection, without a coroutine (the common case under load)."""
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _allowed_address(self, loop: asyncio.AbstractEventLoop) -> str:
        """The address to connect to: every one the host resolves to must be outside ``deny``."""
        host, port = self.origin.host, self.origin.port
        try:
            addresses = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        for address in addresses:
            if in_networks(address, self.deny):
                raise EndpointDenied(f"{host}:{port} is in the gateway's endpoint deny-list")
        if not addresses:
            raise ConnectError(f"cannot resolve {host}")
        return str(addresses[0])

    async def connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                # With a deny-list the connection goes to the address that was checked.
                address = await self._allowed_address(loop) if self.deny else self.origin.host
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self),
                    address,
                    self.origin.port,
                    ssl=self.ssl_context,
                    server_hostname=self.origin.host if self.ssl_context else None,
                )
        except TimeoutError as exc:
            raise ConnectError(f"connecting to {self.origin.host}:{self.origin.port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {self.origin.host}:{self.origin.port}: {exc}") from exc
        self.open.add(protocol)
        return protocol

    def release(self, conn: _Connection) -> None:
        if len(self.idle) < self.max_idle:
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        self.idle.clear()
        for conn in list(self.open):
            conn.close()


class UpstreamClient:
    """Created once per gateway; one pool per origin."""

    def __init__(
        self,
        *,
        max_idle_per_origin: int = 256,
        connect_timeout: float = 5.0,
        deny: Sequence[IPNetwork] = (),
    ) -> None:
        self._pools: dict[Origin, _Pool] = {}
        # The pool last used: with one backend (the common case) found without hashing the origin.
        self._last: tuple[Origin | None, _Pool | None] = (None, None)
        self._max_idle = max_idle_per_origin
        self._connect_timeout = connect_timeout
        self._deny = tuple(deny)
        self._ssl: ssl.SSLContext | None = None

    def _pool(self, origin: Origin) -> _Pool:
        last, pool = self._last
        if last is origin and pool is not None:
            return pool
        pool = self._pools.get(origin)
        if pool is None:
            context = None
            if origin.scheme == "https":
                if self._ssl is None:
                    self._ssl = crypto_policy.active().client_context()
                context = self._ssl
            pool = self._pools[origin] = _Pool(
                origin, context, self._max_idle, self._connect_timeout, self._deny
            )
        self._last = (origin, pool)
        return pool

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]] | bytes,
        body: bytes | BodyStream = b"",
        *,
        read_timeout: float = 30.0,
    ) -> UpstreamResponse:
        """Send one request; ``headers`` must not hold Host, Content-Length or hop-by-hop headers.

        ``headers`` as bytes are the head's header lines written already (``name: value\\r\\n``
        each), as the request path builds them in one pass.

        The read timeout runs from the end of the request (a streamed body sent whole) to the
        response head.
        """
        fields = (
            headers if isinstance(headers, bytes) else b"".join([b"%s: %s\r\n" % (k, v) for k, v in headers])
        )
        stream = body if isinstance(body, BodyStream) else None
        if stream is not None:
            if stream.length is None:
                framing = b"transfer-encoding: chunked\r\n\r\n"
            else:
                framing = b"content-length: %d\r\n\r\n" % stream.length
            data = b"".join((method, b" ", target, origin.head_tail, fields, framing))
        else:
            assert isinstance(body, bytes)
            if body or method in _BODY_METHODS:
                framing = b"content-length: %d\r\n\r\n" % len(body)
            else:
                framing = b"\r\n"
            data = b"".join((method, b" ", target, origin.head_tail, fields, framing, body))
        pool = self._pool(origin)
        head_only = method == b"HEAD"
        for attempt in (1, 2):
            conn = pool.idle_connection() or await pool.connect()
            reused = conn.used
            try:
                if stream is None:
                    return await conn.send(data, head_only, read_timeout)
                return await self._exchange_streaming(conn, data, stream, head_only, read_timeout)
            except UpstreamTimeout:
                raise
            except UpstreamError:
                # A reused connection the origin had closed while idle: retry once on a new one,
                # only where sending the request twice is harmless (a streamed body is gone).
                if not reused or attempt == 2 or method not in _IDEMPOTENT or stream is not None:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    async def _exchange_streaming(
        conn: _Connection, data: bytes, body: BodyStream, head_only: bool, read_timeout: float
    ) -> UpstreamResponse:
        head = conn.send(data, head_only, None)
        writer = asyncio.ensure_future(conn.send_body(body, read_timeout))
        try:
            return await head
        finally:
            if not writer.done():
                # Answered before the whole body was sent (413, 401...): stop sending; the
                # connection is closed after that answer. Failed or cancelled: close it now.
                writer.cancel()
                if not head.done() or head.cancelled() or head.exception() is not None:
                    conn.close()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        self._last = (None, None)
        await asyncio.sleep(0)  # let the transports finish closing their sockets
