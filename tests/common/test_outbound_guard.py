"""The outbound guard: fetches a user aims reach public addresses only, checked before connecting.

No test here sends traffic anywhere but 127.0.0.1: refused targets are literal addresses or names
a fake resolver answers, and the transport behind the guard fails the test if it is ever called.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx
import pytest

from apim_common.outbound import (
    OutboundPolicy,
    OutboundRefused,
    Resolver,
    TooLarge,
    classify,
    fetch_bytes,
    guarded_client,
    parse_networks,
)
from apim_common.settings import ServiceSettings
from tests.support.local_http import Canned, LoopbackOnly, local_server

PRODUCTION = OutboundPolicy()
DEVELOPMENT = OutboundPolicy(allow_loopback=True)


class NeverConnect(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the guard let a connection to {request.url} through")


class Recording(httpx.AsyncBaseTransport):
    """Answers 200 itself (no network) and records what the guard handed it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=b"ok")


def resolver_of(answers: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.10:8080/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://224.0.0.1/",
    ],
)
async def test_guard_refuses_a_non_public_literal_address_before_connecting(url: str) -> None:
    async with guarded_client(PRODUCTION, transport=NeverConnect()) as client:
        with pytest.raises(OutboundRefused):
            await client.get(url)


async def test_guard_refuses_a_name_that_resolves_to_the_metadata_service_before_connecting() -> None:
    resolver = resolver_of({"metadata.evil.test": ["169.254.169.254"]})
    async with guarded_client(PRODUCTION, transport=NeverConnect(), resolver=resolver) as client:
        with pytest.raises(OutboundRefused) as refused:
            await client.get("http://metadata.evil.test/latest/meta-data/")
    assert refused.value.status_code == 400
    assert "link-local" in refused.value.description


async def test_guard_refuses_a_name_when_any_of_its_addresses_is_private() -> None:
    resolver = resolver_of({"mixed.test": ["93.184.216.34", "10.0.0.1"]})
    async with guarded_client(PRODUCTION, transport=NeverConnect(), resolver=resolver) as client:
        with pytest.raises(OutboundRefused):
            await client.get("https://mixed.test/")


async def test_guard_refuses_non_http_schemes() -> None:
    async with guarded_client(DEVELOPMENT, transport=NeverConnect()) as client:
        for url in ("file:///etc/passwd", "ftp://127.0.0.1/x"):
            with pytest.raises((OutboundRefused, httpx.UnsupportedProtocol)):
                await client.get(url)


async def test_guard_connects_to_the_address_it_checked_and_keeps_the_host_name() -> None:
    calls = 0

    async def rebinding(host: str, port: int) -> Sequence[str]:
        nonlocal calls
        calls += 1  # a second lookup would answer the metadata service
        return ["93.184.216.34"] if calls == 1 else ["169.254.169.254"]

    inner = Recording()
    async with guarded_client(PRODUCTION, transport=inner, resolver=rebinding) as client:
        response = await client.get("https://public.test/spec.json")
    assert response.status_code == 200
    (sent,) = inner.requests
    assert sent.url.host == "93.184.216.34"
    assert sent.headers["host"] == "public.test"
    assert sent.extensions["sni_hostname"] == "public.test"
    assert calls == 1


async def test_an_operator_allow_list_lets_a_private_network_through() -> None:
    inner = Recording()
    policy = OutboundPolicy(allow=parse_networks("10.20.0.0/16"))
    resolver = resolver_of({"idp.internal": ["10.20.3.4"]})
    async with guarded_client(policy, transport=inner, resolver=resolver) as client:
        assert (await client.get("http://idp.internal/.well-known/openid-configuration")).status_code == 200
        with pytest.raises(OutboundRefused):
            await client.get("http://10.21.0.1/")
    assert [r.url.host for r in inner.requests] == ["10.20.3.4"]


async def test_loopback_is_refused_outside_development_mode() -> None:
    async with local_server({"/": Canned(200, b"hi")}) as server:
        async with guarded_client(PRODUCTION, transport=NeverConnect()) as client:
            with pytest.raises(OutboundRefused):
                await client.get(server.url("/"))
        assert server.seen == []


async def test_development_mode_reaches_a_local_backend() -> None:
    client = guarded_client(DEVELOPMENT, transport=LoopbackOnly())
    async with local_server({"/up": Canned(200, b"hi")}) as server, client:
        response = await client.get(server.url("/up"))
    assert (response.status_code, response.content) == (200, b"hi")


async def test_a_redirect_to_the_metadata_service_is_refused_at_the_hop_without_connecting() -> None:
    routes = {"/spec": Canned(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})}
    inner = LoopbackOnly()
    async with local_server(routes) as server, guarded_client(DEVELOPMENT, transport=inner) as client:
        with pytest.raises(OutboundRefused):
            await client.get(server.url("/spec"), follow_redirects=True)
    assert server.seen == ["/spec"]
    assert inner.hosts == ["127.0.0.1"]


async def test_fetch_bytes_stops_reading_beyond_its_limit() -> None:
    client = guarded_client(DEVELOPMENT, transport=LoopbackOnly())
    async with local_server({"/big": Canned(200, b"x" * 5000)}) as server, client:
        with pytest.raises(TooLarge):
            await fetch_bytes(client, server.url("/big"), max_bytes=1000)
        status, body = await fetch_bytes(client, server.url("/big"), max_bytes=5000)
    assert (status, len(body)) == (200, 5000)
    assert all(b"accept-encoding: identity" in head.lower() for head in server.heads)


def test_public_addresses_are_not_classified() -> None:
    for address in ("93.184.216.34", "2606:4700::1", "::ffff:8.8.8.8"):
        assert classify(ipaddress.ip_address(address)) is None


def test_the_policy_follows_the_mode_and_the_allow_list_setting() -> None:
    listed = ServiceSettings(mode="development", outbound_allow="10.0.0.0/8")
    development = OutboundPolicy.from_settings(listed)
    assert development.allow_loopback
    assert development.refusal(ipaddress.ip_address("10.9.9.9")) is None
    unlisted = OutboundPolicy.from_settings(ServiceSettings(mode="development"))
    assert unlisted.refusal(ipaddress.ip_address("10.9.9.9")) == "private"
    with pytest.raises(ValueError, match="not-a-network"):
        parse_networks("10.0.0.0/8, not-a-network")
