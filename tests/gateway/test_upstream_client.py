"""The gateway's upstream client against a real local backend (uvicorn in its own process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from apim_gateway.upstream import (
    BodyStream,
    ConnectError,
    Origin,
    RequestBodyError,
    UpstreamClient,
    UpstreamTimeout,
)
from tests.support.processes import backend_process, free_port


@pytest.fixture(scope="module")
def backend_port() -> Iterator[int]:
    with backend_process() as port:
        yield port


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    c = UpstreamClient(connect_timeout=5.0)
    yield c
    await c.aclose()


async def test_a_get_returns_status_headers_and_body(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    r = await client.request(origin, b"GET", b"/echo/a?b=1", [(b"x-test", b"yes")])
    assert r.status == 200
    echoed = json.loads(await r.read())
    assert echoed["path"] == "/echo/a"
    assert echoed["query"] == "b=1"
    assert echoed["headers"]["x-test"] == "yes"
    assert echoed["headers"]["host"] == f"127.0.0.1:{backend_port}"


async def test_a_post_body_reaches_the_backend(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    r = await client.request(origin, b"POST", b"/echo", [(b"content-type", b"application/json")], b'{"a": 1}')
    assert json.loads(await r.read())["body"] == '{"a": 1}'


async def test_connections_are_kept_alive_and_reused(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    for _ in range(20):
        r = await client.request(origin, b"GET", b"/json", [])
        assert len(await r.read()) == 1024
    assert len(client._pools[origin].idle) == 1


async def test_concurrent_requests_each_get_their_own_answer(
    client: UpstreamClient, backend_port: int
) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)

    async def one(n: int) -> str:
        r = await client.request(origin, b"GET", f"/echo/{n}".encode(), [])
        return str(json.loads(await r.read())["path"])

    paths = await asyncio.gather(*(one(n) for n in range(50)))
    assert paths == [f"/echo/{n}" for n in range(50)]


async def test_a_large_chunked_body_streams_in_pieces(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    r = await client.request(origin, b"GET", b"/big?size=5000000", [])
    sizes = [len(chunk) async for chunk in r.iter_body()]
    assert sum(sizes) == 5_000_000
    assert len(sizes) > 1


async def test_connection_close_answers_are_not_pooled(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    r = await client.request(origin, b"GET", b"/close", [])
    await r.read()
    await asyncio.sleep(0.05)
    assert not [c for c in client._pools[origin].idle if not c.closed]


async def test_a_head_answer_completes_without_a_body(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    r = await client.request(origin, b"HEAD", b"/json", [])
    assert r.status == 200
    assert await r.read() == b""
    r2 = await client.request(origin, b"GET", b"/json", [])
    assert len(await r2.read()) == 1024


async def test_a_refused_connection_is_a_connect_error(client: UpstreamClient) -> None:
    with pytest.raises(ConnectError):
        await client.request(Origin.of("http", "127.0.0.1", free_port()), b"GET", b"/", [])


async def test_a_slow_origin_times_out(client: UpstreamClient, backend_port: int) -> None:
    origin = Origin.of("http", "127.0.0.1", backend_port)
    with pytest.raises(UpstreamTimeout):
        await client.request(origin, b"GET", b"/slow?s=2", [], read_timeout=0.2)


async def test_error_statuses_are_passed_through(client: UpstreamClient, backend_port: int) -> None:
    r = await client.request(Origin.of("http", "127.0.0.1", backend_port), b"GET", b"/status/503", [])
    assert r.status == 503


def test_the_client_works_on_uvloop_whose_transports_are_not_asyncio_transports(backend_port: int) -> None:
    import uvloop

    async def call() -> int:
        client = UpstreamClient(connect_timeout=5.0)
        try:
            r = await client.request(Origin.of("http", "127.0.0.1", backend_port), b"GET", b"/json", [])
            return len(await r.read())
        finally:
            await client.aclose()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(call()) == 1024


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_origin(handler: Handler) -> AsyncIterator[Origin]:
    """An origin speaking whatever bytes ``handler`` writes."""
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await handler(reader, writer)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield Origin.of("http", "127.0.0.1", server.sockets[0].getsockname()[1])
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_streamed_body_is_taken_from_its_source_only_as_fast_as_the_origin_reads_it(
    client: UpstreamClient,
) -> None:
    chunk, total = b"x" * 65536, 256 * 1024 * 1024
    pulled = 0

    async def source() -> AsyncIterator[bytes]:
        nonlocal pulled
        while pulled < total:
            pulled += len(chunk)
            yield chunk

    async def reads_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with raw_origin(reads_nothing) as origin:
        with pytest.raises(UpstreamTimeout, match="took no more of the request body"):
            await client.request(origin, b"POST", b"/", [], BodyStream(source(), total), read_timeout=1.0)
    # What the socket buffers hold, not the 256 MiB the source had to give.
    assert pulled < 64 * 1024 * 1024


async def test_a_streamed_body_shorter_than_its_length_is_a_request_body_error(
    client: UpstreamClient, backend_port: int
) -> None:
    async def source() -> AsyncIterator[bytes]:
        yield b"0123456789"

    origin = Origin.of("http", "127.0.0.1", backend_port)
    with pytest.raises(RequestBodyError, match="ended after 10 of 20 bytes"):
        await client.request(origin, b"POST", b"/echo", [], BodyStream(source(), 20))
    await asyncio.sleep(0.05)
    assert not [c for c in client._pools[origin].idle if not c.closed]


async def test_an_interim_100_continue_is_passed_over_for_the_final_answer(client: UpstreamClient) -> None:
    async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    async with raw_origin(answers) as origin:
        for _ in range(2):
            r = await client.request(origin, b"GET", b"/", [])
            assert (r.status, await r.read()) == (200, b"ok")
        assert len(client._pools[origin].idle) == 1
