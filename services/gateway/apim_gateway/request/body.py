"""The client's request body, read whole for policies or streamed to the backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Receive

from apim_gateway.context import Headers
from apim_gateway.errors import PAYLOAD_TOO_LARGE, GatewayError
from apim_gateway.upstream import BodyStream, RequestBodyError

# A request body announced at most this long is read whole before the backend call, so that it
# can be sent again (a retried connection, the next failover endpoint); longer ones stream.
_SMALL_BODY = 64 * 1024


class BodyTooLarge(RequestBodyError):
    """The request body went past its limit while it was read (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the {limit} bytes this API accepts")


def open_body(receive: Receive, headers: Headers, limit: int) -> RequestBody:
    """The body to come; 413 at once when its Content-Length is above ``limit``."""
    body = RequestBody(receive, headers, limit)
    if body.declared_too_large:
        raise GatewayError(
            413, PAYLOAD_TOO_LARGE, f"The request body is larger than the {limit} bytes this API accepts"
        )
    return body


class RequestBody:
    """The client's request body, taken from ASGI ``receive`` once.

    ``read`` gives it whole, for policies that need it. ``for_upstream`` gives the backend call a
    small body whole and a large one, or one of unknown length, as a ``BodyStream`` written to the
    backend while the client sends it (Content-Length passed through, else chunked). A client that
    goes away before the body is whole is a ``RequestBodyError``: never a shorter body sent on.
    More than ``limit`` bytes is ``BodyTooLarge``, whether read whole or streamed: the body stops
    there (``declared_too_large`` refuses a Content-Length above it before anything is read).
    """

    __slots__ = ("_length", "_limit", "_present", "_receive", "_received", "_taken")

    def __init__(self, receive: Receive, headers: Headers, limit: int) -> None:
        self._receive = receive
        self._present = False
        self._length: int | None = None
        self._taken = False
        self._limit = limit
        self._received = 0
        # Both looked up in a dict built in C: a scan of the headers in Python costs a GET more.
        named = dict(headers)
        if "transfer-encoding" in named:
            self._present = True
        elif (length := named.get("content-length")) is not None:
            self._present = True
            self._length = int(length) if length.isdigit() else None

    @property
    def declared_too_large(self) -> bool:
        return self._length is not None and self._length > self._limit

    async def _next(self) -> tuple[bytes, bool]:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            raise RequestBodyError("the client went away before sending the whole request body")
        chunk: bytes = message.get("body", b"")
        self._received += len(chunk)
        if self._received > self._limit:
            raise BodyTooLarge(self._limit)
        return chunk, bool(message.get("more_body"))

    def _take(self) -> None:
        if self._taken:
            raise RuntimeError("the request body has already been taken")
        self._taken = True

    async def read(self) -> bytes:
        self._take()
        chunks = []
        more = self._present
        while more:
            chunk, more = await self._next()
            chunks.append(chunk)
        return b"".join(chunks)

    async def for_upstream(self) -> bytes | BodyStream:
        if not self._present:  # no body announced (a GET): nothing to wait for
            self._take()
            return b""
        length = self._length
        if not self._present or (length is not None and length <= _SMALL_BODY):
            return await self.read()
        self._take()
        first, more = await self._next()
        if not more:
            return first
        return BodyStream(self._rest(first), length)

    async def _rest(self, first: bytes) -> AsyncIterator[bytes]:
        yield first
        more = True
        while more:
            chunk, more = await self._next()
            yield chunk
