"""Request bodies are limited: gateway-wide (APIM_GATEWAY_MAX_REQUEST_BODY_SIZE, 10 MiB) and per
API or operation (the requestSizeLimit policy), whether a policy reads the body or it streams.

The backend of tests/support/backend.py counts an ``?upload=ID`` body as it arrives, so a test
can see that a refused body never reached it whole.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from apim_gateway.policies import PolicyConfigError
from apim_gateway.policies.base import REGISTRY
from apim_gateway.policies.engine import compile_chain
from apim_gateway.settings import Settings
from tests.gateway.conftest import Harness
from tests.gateway.test_builtin_policies_at_backend import attach, deploy
from tests.gateway.test_gateway_request_bodies import progress
from tests.support.serving import serving

MIB = 1024 * 1024
KIB = 1024
ECHO = "/pets/1.0.0/echo/1"
REGEX = attach("regexPolicy", regex=r".*DROP.*", threatType="SQL-Injection")
SMALL_GATEWAY = {"gateway_max_request_body_size": 64 * KIB}


def chunks(total: int, size: int = 64 * KIB) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        sent = 0
        while sent < total:
            n = min(size, total - sent)
            yield b"a" * n
            sent += n

    return gen()


def assert_413(response: Any) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("413", "Payload Too Large")
    assert "bytes this API accepts" in body["description"]


def test_the_gateway_wide_default_is_10_mib() -> None:
    assert Settings(mode="development").gateway_max_request_body_size == 10 * MIB


def test_the_gateway_wide_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_GATEWAY_MAX_REQUEST_BODY_SIZE", "2048")
    assert Settings(mode="development").gateway_max_request_body_size == 2048


async def test_a_40_mib_body_for_a_body_reading_policy_is_413_by_default(harness: Harness) -> None:
    deploy(harness, [REGEX])
    r = await harness.client.post(ECHO, headers=harness.bearer(), content=b"a" * (40 * MIB))
    assert_413(r)


async def test_a_chunked_body_for_a_body_reading_policy_is_413_once_it_passes_the_limit(
    harness: Harness,
) -> None:
    deploy(harness, [REGEX])
    r = await harness.client.post(ECHO, headers=harness.bearer(), content=chunks(11 * MIB, MIB))
    assert_413(r)


@pytest.mark.parametrize("settings_overrides", [SMALL_GATEWAY])
async def test_a_streamed_body_whose_content_length_passes_the_limit_is_413_unread(
    harness: Harness,
) -> None:
    r = await harness.client.post(
        "/pets/1.0.0/echo?upload=declared", headers=harness.bearer(), content=b"a" * (65 * KIB)
    )
    assert_413(r)
    assert (await progress(harness, "declared"))["bytes"] == 0


@pytest.mark.parametrize("settings_overrides", [SMALL_GATEWAY])
async def test_a_streamed_chunked_body_is_cut_off_at_the_limit_and_never_completes(harness: Harness) -> None:
    r = await harness.client.post(
        "/pets/1.0.0/echo?upload=chunked-over", headers=harness.bearer(), content=chunks(MIB, 16 * KIB)
    )
    assert_413(r)
    await asyncio.sleep(0.2)
    got = await progress(harness, "chunked-over")
    assert got["complete"] is False
    assert got["bytes"] <= 64 * KIB


@pytest.mark.parametrize("settings_overrides", [SMALL_GATEWAY])
async def test_a_body_within_the_limit_still_streams_to_the_backend(harness: Harness) -> None:
    r = await harness.client.post(
        "/pets/1.0.0/echo?upload=within", headers=harness.bearer(), content=chunks(64 * KIB, 16 * KIB)
    )
    assert r.status_code == 200, r.text
    assert r.json()["bytes"] == 64 * KIB


async def test_an_apis_request_size_limit_refuses_a_body_over_it(harness: Harness) -> None:
    deploy(harness, [attach("requestSizeLimit", maxRequestBodySize="1024")])
    over = await harness.client.post(ECHO, headers=harness.bearer(), content=b"a" * 1025)
    assert_413(over)
    assert "1024 bytes" in over.json()["description"]
    within = await harness.client.post(ECHO, headers=harness.bearer(), content=b"a" * 1024)
    assert within.status_code == 200, within.text


async def test_an_apis_request_size_limit_also_limits_a_chunked_body_a_policy_reads(harness: Harness) -> None:
    deploy(harness, [attach("requestSizeLimit", maxRequestBodySize="4096"), REGEX])
    r = await harness.client.post(ECHO, headers=harness.bearer(), content=chunks(8 * KIB, KIB))
    assert_413(r)


@pytest.mark.parametrize("settings_overrides", [SMALL_GATEWAY])
async def test_an_apis_request_size_limit_above_the_gateway_default_is_honoured(harness: Harness) -> None:
    deploy(harness, [attach("requestSizeLimit", maxRequestBodySize=str(MIB)), REGEX])
    r = await harness.client.post(ECHO, headers=harness.bearer(), content=b"a" * (256 * KIB))
    assert r.status_code == 200, r.text
    assert len(json.loads(r.content)["body"]) == 256 * KIB


def test_the_smallest_of_several_limits_in_one_chain_holds() -> None:
    global_policies = {"request": [attach("requestSizeLimit", maxRequestBodySize="2048")]}
    api_policies = {"request": [attach("requestSizeLimit", maxRequestBodySize="4096")]}
    assert compile_chain(global_policies, api_policies, None).max_request_body == 2048
    assert compile_chain(None, None, None).max_request_body is None


@pytest.mark.parametrize("size", ["0", "-1", "1k", "12345678901"])
def test_a_request_size_limit_that_is_no_positive_byte_count_is_refused(size: str) -> None:
    with pytest.raises(PolicyConfigError, match="maxRequestBodySize"):
        REGISTRY["requestSizeLimit"]({"maxRequestBodySize": size})


async def test_a_client_announcing_a_body_over_the_limit_gets_413_before_sending_it(harness: Harness) -> None:
    """Over a real socket: the answer comes without the client sending a byte of the body."""
    async with serving(harness.gateway, log_level="error") as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        token = harness.bearer()["Authorization"]
        writer.write(
            f"POST /pets/1.0.0/echo?upload=announced HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: {token}\r\nContent-Length: {40 * MIB}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.close()
        assert head.startswith(b"HTTP/1.1 413 ")
        assert (await progress(harness, "announced"))["bytes"] == 0
