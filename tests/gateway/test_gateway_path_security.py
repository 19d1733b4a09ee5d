"""Request paths that try to reach another resource than the one routed, or to split the request.

The gateway is served by uvicorn on a real socket and requests are written as raw request lines
(an HTTP client would resolve ``..`` itself); the backend is a socket server that records the
request line it receives, byte for byte.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apim_gateway.policies.builtin.routing import join_target
from apim_gateway.runtime.paths import BadPath, split_path
from apim_gateway.runtime.templates import compile_template
from tests.gateway.conftest import Harness, pets_api
from tests.support.serving import serving


class RecordingBackend:
    """Answers 200 to every request and keeps each request line as it arrived."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b'{"backend": true}'
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.lines.append(head.split(b"\r\n", 1)[0])
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def backend() -> AsyncIterator[RecordingBackend]:
    recording = RecordingBackend()
    await recording.start()
    yield recording
    await recording.stop()


@pytest.fixture
async def gateway_port(harness: Harness, backend: RecordingBackend) -> AsyncIterator[int]:
    """The API /pets/1.0.0 on the recording backend's /base; /open/* needs no credentials."""
    assert backend.server is not None
    backend_port = backend.server.sockets[0].getsockname()[1]
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = {
        "endpoint_type": "http",
        "production_endpoints": {"url": f"http://127.0.0.1:{backend_port}/base"},
    }
    api["operations"] = [
        {"verb": "GET", "target": "/open/*", "authType": "None"},
        {"verb": "GET", "target": "/items/{id}", "authType": "Any"},
    ]
    assert harness.gateway.state.deploy(api)
    async with serving(harness.gateway, log_level="error") as port:
        yield port


async def raw_get(port: int, target: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Writes ``GET target HTTP/1.1`` as given; the status and the JSON body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: localhost", b"Connection: close"]
    lines += [f"{k}: {v}".encode() for k, v in (headers or {}).items()]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else None


async def test_an_encoded_dot_dot_under_an_unsecured_resource_reaches_no_secured_one_without_a_token(
    gateway_port: int, backend: RecordingBackend
) -> None:
    status, body = await raw_get(gateway_port, b"/pets/1.0.0/open/%2e%2e/items/5")
    assert (status, body["code"]) == (401, "900902")
    assert backend.lines == []


async def test_a_raw_dot_dot_under_an_unsecured_resource_reaches_no_secured_one_without_a_token(
    gateway_port: int, backend: RecordingBackend
) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/../items/5")
    assert status == 401
    assert backend.lines == []


async def test_an_encoded_dot_dot_is_resolved_before_the_backend_receives_the_path(
    harness: Harness, gateway_port: int, backend: RecordingBackend
) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/a/%2E%2e/b", harness.bearer())
    assert status == 200
    assert backend.lines == [b"GET /base/open/b HTTP/1.1"]


async def test_dot_dots_cannot_leave_the_apis_context_or_the_endpoints_base_path(
    gateway_port: int, backend: RecordingBackend
) -> None:
    status, body = await raw_get(gateway_port, b"/pets/1.0.0/open/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret")
    assert (status, body["code"]) == (404, "900906")
    assert backend.lines == []


async def test_an_encoded_slash_is_refused_with_400(gateway_port: int, backend: RecordingBackend) -> None:
    status, body = await raw_get(gateway_port, b"/pets/1.0.0/open/..%2f..%2fitems%2f5")
    assert (status, body["code"]) == (400, "400")
    assert "'/'" in body["description"]
    assert backend.lines == []


async def test_an_encoded_backslash_is_refused_with_400(gateway_port: int, backend: RecordingBackend) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/..%5citems%5c5")
    assert status == 400
    assert backend.lines == []


async def test_encoded_cr_and_lf_are_refused_and_never_written_to_the_backend(
    gateway_port: int, backend: RecordingBackend
) -> None:
    status, body = await raw_get(gateway_port, b"/pets/1.0.0/open/x%20HTTP/1.1%0d%0aX-Injected:%20yes%0d%0a")
    assert (status, body["code"]) == (400, "400")
    assert "control character" in body["description"]
    assert backend.lines == []


async def test_an_encoded_nul_is_refused_with_400(gateway_port: int, backend: RecordingBackend) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/x%00.json")
    assert status == 400
    assert backend.lines == []


async def test_an_encoded_space_reaches_the_backend_still_encoded(
    gateway_port: int, backend: RecordingBackend
) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/a%20b/c%3Bd")
    assert status == 200
    assert backend.lines == [b"GET /base/open/a%20b/c%3Bd HTTP/1.1"]


async def test_a_dot_dot_with_path_parameters_is_refused_with_400(
    gateway_port: int, backend: RecordingBackend
) -> None:
    # Tomcat and other Java servers read "..;x" as "..": /base/open/..;x/items/5 is /base/items/5.
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/open/..;x/items/5")
    assert status == 400
    assert backend.lines == []


async def test_an_encoded_dot_dot_through_a_secured_resource_is_resolved_with_a_token(
    harness: Harness, gateway_port: int, backend: RecordingBackend
) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/items/%2e%2e/items/7", harness.bearer())
    assert status == 200
    assert backend.lines == [b"GET /base/items/7 HTTP/1.1"]


async def test_a_path_parameter_decodes_for_matching_and_stays_encoded_for_the_backend(
    harness: Harness, gateway_port: int, backend: RecordingBackend
) -> None:
    status, _ = await raw_get(gateway_port, b"/pets/1.0.0/items/a%20%C3%A9", harness.bearer())
    assert status == 200
    assert backend.lines == [b"GET /base/items/a%20%C3%A9 HTTP/1.1"]


async def test_an_asgi_server_without_raw_path_still_gets_control_characters_refused(
    harness: Harness, backend: RecordingBackend, gateway_port: int
) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/pets/1.0.0/open/x\r\nX-Injected: yes",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 5000),
    }
    await harness.gateway(scope, receive, send)
    assert sent[0]["status"] == 400
    assert backend.lines == []


# -- the parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "routed", "forwarded"),
    [
        (b"/a/b/c", "/a/b/c", "/a/b/c"),
        (b"/a/%2e%2e/b", "/b", "/b"),
        (b"/a/./b/.", "/a/b/", "/a/b/"),
        (b"/a/../../../b", "/b", "/b"),
        (b"/a/b%20c", "/a/b c", "/a/b%20c"),
        (b"/a/\xc3\xa9", "/a/\u00e9", "/a/%C3%A9"),
        (b"/a/.well-known", "/a/.well-known", "/a/.well-known"),
    ],
)
def test_split_path_resolves_dot_segments_and_keeps_the_clients_encoding(
    raw: bytes, routed: str, forwarded: str
) -> None:
    assert split_path(raw) == (routed, forwarded)


@pytest.mark.parametrize(
    "raw",
    [b"/a/%2F", b"/a/%5C", b"/a/..\\b", b"/a/%0d", b"/a/%0A", b"/a/%7f", b"/a b", b"/a/\r", b"/a/.;x"],
)
def test_split_path_refuses_separators_control_characters_and_dot_segments_with_parameters(
    raw: bytes,
) -> None:
    with pytest.raises(BadPath):
        split_path(raw)


def test_a_template_parameter_matches_no_dot_segment_and_no_control_character() -> None:
    template = compile_template("/items/{id}")
    assert template.match("/items/5") == {"id": "5"}
    assert template.match("/items/a b") == {"id": "a b"}
    assert template.match("/items/..") is None
    assert template.match("/items/.") is None
    assert template.match("/items/5\n") is None
    assert template.match("/items/5\r\nx") is None


def test_a_template_wildcard_matches_no_dot_segment_and_no_control_character() -> None:
    template = compile_template("/open/*")
    assert template.match("/open/a/b") == {}
    assert template.match("/open") == {}
    assert template.match("/open/../items") is None
    assert template.match("/open/a/..") is None
    assert template.match("/open/a\n") is None


def test_a_backend_target_never_holds_a_space_or_a_line_break() -> None:
    assert join_target("/base", "/a b\r\nX: y", "q=1 2") == b"/base/a%20b%0D%0AX:%20y?q=1%202"


def test_a_raw_byte_of_the_query_reaches_the_backend_as_the_same_byte_encoded() -> None:
    query = b"name=\xe9".decode("latin-1")  # how the request path holds the client's query
    assert join_target("/base", "/a", query) == b"/base/a?name=%E9"
