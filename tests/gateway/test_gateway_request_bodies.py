"""Request bodies on their way to the backend: streamed while the client sends them, never cut short.

The backend of tests/support/backend.py counts an ``?upload=ID`` body as it arrives and shows the
count at ``/uploads/ID``, so a test can see what the backend has before the client sends the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx

from tests.gateway.conftest import Harness, pets_api
from tests.gateway.test_builtin_policies_at_backend import attach, deploy
from tests.support.processes import free_port

MIB = 1024 * 1024
UPLOAD = "/pets/1.0.0/echo"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def progress(harness: Harness, upload_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as backend:
        r = await backend.get(f"http://127.0.0.1:{harness.backend_port}/uploads/{upload_id}")
    return r.json() if r.status_code == 200 else {"bytes": 0, "complete": False}


async def backend_has(harness: Harness, upload_id: str, size: int, seconds: float = 10.0) -> bool:
    """Whether the backend holds ``size`` bytes of the upload within ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if (await progress(harness, upload_id))["bytes"] >= size:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_large_body_reaches_the_backend_whole_with_its_content_length(harness: Harness) -> None:
    data = os.urandom(4 * MIB)
    r = await harness.client.post(f"{UPLOAD}?upload=length", headers=harness.bearer(), content=data)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["bytes"], got["sha256"]) == (len(data), digest(data))
    assert got["contentLength"] == str(len(data))
    assert got["transferEncoding"] is None


async def test_a_body_of_unknown_length_goes_to_the_backend_chunked(harness: Harness) -> None:
    pieces = [os.urandom(256 * 1024) for _ in range(12)]

    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    r = await harness.client.post(f"{UPLOAD}?upload=chunked", headers=harness.bearer(), content=chunks())
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["bytes"], got["sha256"]) == (12 * 256 * 1024, digest(b"".join(pieces)))
    assert got["transferEncoding"] == "chunked"
    assert got["contentLength"] is None


async def test_the_backend_gets_the_start_of_a_body_before_the_client_sends_the_rest(
    harness: Harness,
) -> None:
    first, rest = os.urandom(MIB), os.urandom(MIB)
    backend_had_the_start: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield first
        # A gateway that buffered the body would hold these bytes until the end: never true here.
        backend_had_the_start.append(await backend_has(harness, "early", len(first)))
        yield rest

    r = await harness.client.post(f"{UPLOAD}?upload=early", headers=harness.bearer(), content=chunks())
    assert backend_had_the_start == [True]
    assert r.json()["sha256"] == digest(first + rest)


async def test_an_answer_the_backend_gives_before_reading_the_body_reaches_the_client(
    harness: Harness,
) -> None:
    never = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield os.urandom(MIB)
        await never.wait()  # the client would send the rest only after the answer
        yield b"end"

    post = harness.client.post(f"{UPLOAD}?reject=413", headers=harness.bearer(), content=chunks())
    r = await asyncio.wait_for(post, 10)
    assert r.status_code == 413
    assert r.json() == {"status": 413}


def _scope(harness: Harness, query: str) -> dict[str, Any]:
    token = harness.bearer()["Authorization"].encode()
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": UPLOAD,
        "raw_path": UPLOAD.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"authorization", token), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


async def _post_then_go_away(harness: Harness, upload_id: str) -> list[MutableMapping[str, Any]]:
    """A client that sends 1 MiB, waits until the backend has it, then disconnects."""
    messages = [{"type": "http.request", "body": os.urandom(MIB), "more_body": True}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        assert await backend_has(harness, upload_id, MIB)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await harness.gateway(_scope(harness, f"upload={upload_id}"), receive, send)
    return sent


async def test_a_client_that_goes_away_mid_body_never_completes_the_request_at_the_backend(
    harness: Harness,
) -> None:
    sent = await _post_then_go_away(harness, "gone")
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["code"] == "101001"
    # A gateway that ended the chunked body for it would hand the backend a shorter, "complete" body.
    await asyncio.sleep(0.5)
    assert await progress(harness, "gone") == {"bytes": MIB, "complete": False}


async def test_after_a_client_went_away_mid_body_the_next_request_is_served(harness: Harness) -> None:
    await _post_then_go_away(harness, "before")
    r = await harness.client.post(f"{UPLOAD}?upload=after", headers=harness.bearer(), content=b"x" * 100_000)
    assert r.status_code == 200
    assert r.json()["bytes"] == 100_000


async def test_a_source_that_fails_mid_body_is_400_101001(harness: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield os.urandom(MIB)
        raise ConnectionResetError("the client's socket broke")

    r = await harness.client.post(f"{UPLOAD}?upload=broken", headers=harness.bearer(), content=chunks())
    assert r.status_code == 400
    assert r.json()["code"] == "101001"
    assert "socket broke" in r.json()["description"]


async def test_a_streamed_body_fails_over_when_the_first_endpoint_refuses_the_connection(
    harness: Harness,
) -> None:
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = {
        "endpoint_type": "failover",
        "production_endpoints": {"url": f"http://127.0.0.1:{free_port()}"},
        "production_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}"}],
    }
    assert harness.gateway.state.deploy(api)
    data = os.urandom(2 * MIB)
    r = await harness.client.post(f"{UPLOAD}?upload=failover", headers=harness.bearer(), content=data)
    assert r.status_code == 200, r.text
    assert r.json()["sha256"] == digest(data)


async def test_a_small_body_fails_over_to_the_next_endpoint_when_the_first_times_out(
    harness: Harness,
) -> None:
    accepted: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _, writer: accepted.append(writer), "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    api = pets_api(harness.backend_port)
    api["operations"] = [{"verb": "PUT", "target": "/echo", "authType": "Any"}]
    api["endpointConfig"] = {
        "endpoint_type": "failover",
        "production_endpoints": {"url": f"http://127.0.0.1:{silent_port}", "config": {"actionDuration": 300}},
        "production_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}"}],
    }
    assert harness.gateway.state.deploy(api)
    try:
        r = await harness.client.put(UPLOAD, headers=harness.bearer(), content=b'{"kept": true}')
    finally:
        for writer in accepted:
            writer.close()
        silent.close()
        await silent.wait_closed()
    assert r.status_code == 200, r.text
    assert r.json()["body"] == '{"kept": true}'


async def test_a_policy_that_needs_the_body_sees_a_large_chunked_one_whole(harness: Harness) -> None:
    deploy(harness, request=[attach("regexPolicy", regex="forbidden")])

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"a" * MIB
        yield b"... forbidden"

    r = await harness.client.post("/pets/1.0.0/echo/7", headers=harness.bearer(), content=chunks())
    assert r.status_code == 400
    assert "Threat detected" in r.json()["description"]


async def test_expect_100_continue_is_not_passed_to_the_backend(harness: Harness) -> None:
    r = await harness.client.post(
        "/pets/1.0.0/echo", headers={**harness.bearer(), "Expect": "100-continue"}, content=b"{}"
    )
    assert r.status_code == 200
    assert "expect" not in r.json()["headers"]
