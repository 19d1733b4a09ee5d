"""A tiny HTTP/1.1 server on 127.0.0.1 answering canned responses by path, for tests of outbound
fetches that must never leave loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx


@dataclass
class Canned:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalServer:
    port: int
    routes: dict[str, Canned]
    seen: list[str] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.asynccontextmanager
async def local_server(routes: dict[str, Canned]) -> AsyncIterator[LocalServer]:
    """Serves ``routes`` (path -> answer; 404 for others) until the block ends."""
    state = LocalServer(0, routes)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            state.seen.append(path)
            state.heads.append(head)
            answer = routes.get(path, Canned(404, b"not here"))
            lines = [f"HTTP/1.1 {answer.status} X", f"Content-Length: {len(answer.body)}"]
            lines.append("Connection: close")
            lines += [f"{k}: {v}" for k, v in answer.headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + answer.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


class LoopbackOnly(httpx.AsyncBaseTransport):
    """A real transport for 127.0.0.1; any other address fails the test before a byte is sent."""

    def __init__(self) -> None:
        self._real = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        assert request.url.host == "127.0.0.1", f"a connection to {request.url} was attempted"
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()
