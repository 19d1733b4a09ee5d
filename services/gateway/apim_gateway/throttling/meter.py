"""Counting a call's body bytes against its bandwidth limits, as they pass.

The request path wraps ASGI ``receive`` and ``send`` with a ``Meter`` only when a bandwidth limit
applies to the call; every other call keeps the server's own callables and pays nothing. Request
body bytes count when the gateway reads them (streamed to the backend or read whole for a policy),
response body bytes when they are sent to the client: nothing is buffered for the count. A call
whose bytes went past its gateway's lease completes only once the shared counter has them, so the
next call, on any gateway, is decided on them.
"""

from __future__ import annotations

from typing import Protocol

from starlette.types import Message, Receive, Send


class ByteCounter(Protocol):
    def consume(self, key: str, amount: int) -> None: ...

    async def flush(self, keys: list[str]) -> None: ...


class Meter:
    """The bandwidth counters (keys of a ``ByteCounter``) that one call's bytes go to."""

    __slots__ = ("counter", "keys")

    def __init__(self, counter: ByteCounter, keys: list[str]) -> None:
        self.counter = counter
        self.keys = keys

    def count(self, amount: int) -> None:
        for key in self.keys:
            self.counter.consume(key, amount)

    def receive(self, receive: Receive) -> Receive:
        async def counted() -> Message:
            message = await receive()
            body = message.get("body")
            if body:
                self.count(len(body))
            return message

        return counted

    def send(self, send: Send) -> Send:
        async def counted(message: Message) -> None:
            if message["type"] == "http.response.body":
                body = message.get("body")
                if body:
                    self.count(len(body))
                if not message.get("more_body"):
                    # The client sees the answer end only once its bytes are in the shared count.
                    await self.counter.flush(self.keys)
            await send(message)

        return counted
