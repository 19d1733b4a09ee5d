"""Certificate-bound access tokens (RFC 8705) at a gateway serving TLS itself and asking for client
certificates (``APIM_GATEWAY_TLS_*``): a token with ``cnf.x5t#S256`` passes only with that
certificate."""

from __future__ import annotations

import base64
import copy
import hashlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import InvalidStatus

from apim_gateway.server import tls_listener
from tests.gateway.conftest import FakeControlPlane, RunningGateway, gateway_settings
from tests.gateway.test_gateway_websocket import Backend, chat_snapshot
from tests.support.certificates import Issued, TestAuthority
from tests.support.serving import serving
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECURED = "/pets/1.0.0/echo/1"


def x5t(certificate: Issued) -> str:
    der = certificate.certificate.public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


@dataclass
class TlsGateway:
    url: str
    tokens: TokenFactory
    authority: TestAuthority
    alice: Issued
    bob: Issued
    files: Path

    def client(self, certificate: Issued | None) -> httpx.AsyncClient:
        context = ssl.create_default_context(cafile=self.files / "ca.crt")
        if certificate is not None:
            name = certificate.certificate.subject.rfc4514_string().removeprefix("CN=")
            cert, key = certificate.write(self.files, name)
            context.load_cert_chain(cert, key)
        return httpx.AsyncClient(base_url=self.url, verify=context)

    def context(self, certificate: Issued | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.files / "ca.crt")
        if certificate is not None:
            context.load_cert_chain(*certificate.write(self.files, f"ws-{x5t(certificate)}"))
        return context

    def bound_to(self, certificate: Issued) -> dict[str, str]:
        token = self.tokens.mint("alice", client_id="client-1", cnf={"x5t#S256": x5t(certificate)})
        return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(
    tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory, backend_port: int
) -> AsyncIterator[TlsGateway]:
    files = tmp_path_factory.mktemp("bound-tokens")
    authority = TestAuthority()
    (files / "ca.crt").write_text(authority.ca.pem)
    server_cert, server_key = authority.issue("localhost", server=True).write(files, "server")
    backend = Backend()
    ws_server = await serve(backend.handler, "127.0.0.1", 0)
    ws_port = next(iter(ws_server.sockets)).getsockname()[1]
    control_plane = FakeControlPlane(tokens, copy.deepcopy(chat_snapshot(ws_port, backend_port)))
    running = RunningGateway(
        files,
        control_plane,
        {
            # The header of a terminator is believed from 127.0.0.1 here, so both ways are tested.
            "gateway_trusted_proxies": "127.0.0.1/32",
            "gateway_server": "uvicorn",
            "gateway_tls_certfile": server_cert,
            "gateway_tls_keyfile": server_key,
            "gateway_tls_client_ca": files / "ca.crt",
        },
    )
    # Served with the options ``python -m apim_gateway`` gives uvicorn for these settings.
    async with ws_server, running as (app, _), serving(app, **tls_listener(running.settings)) as port:
        yield TlsGateway(
            f"https://localhost:{port}",
            tokens,
            authority,
            authority.issue("alice-client"),
            authority.issue("bob-client"),
            files,
        )


async def test_bound_token_is_accepted_with_its_certificate(gateway: TlsGateway) -> None:
    async with gateway.client(gateway.alice) as client:
        r = await client.get(SECURED, headers=gateway.bound_to(gateway.alice))
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/echo/1"


async def test_bound_token_with_another_certificate_is_refused(gateway: TlsGateway) -> None:
    async with gateway.client(gateway.bob) as client:
        r = await client.get(SECURED, headers=gateway.bound_to(gateway.alice))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"
    assert "bound to a client certificate" in r.json()["description"]


async def test_bound_token_without_a_certificate_is_refused(gateway: TlsGateway) -> None:
    async with gateway.client(None) as client:
        r = await client.get(SECURED, headers=gateway.bound_to(gateway.alice))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_unbound_token_is_accepted_with_or_without_a_certificate(gateway: TlsGateway) -> None:
    token = {"Authorization": f"Bearer {gateway.tokens.mint('alice', client_id='client-1')}"}
    async with gateway.client(None) as plain, gateway.client(gateway.bob) as presenting:
        without = await plain.get(SECURED, headers=token)
        with_certificate = await presenting.get(SECURED, headers=token)
    assert without.status_code == 200
    assert with_certificate.status_code == 200


async def test_unknown_confirmation_method_is_refused(gateway: TlsGateway) -> None:
    token = gateway.tokens.mint(
        "alice", client_id="client-1", cnf={"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
    )
    async with gateway.client(gateway.alice) as client:
        r = await client.get(SECURED, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_certificate_forwarded_by_a_trusted_terminator_confirms_the_binding(
    gateway: TlsGateway,
) -> None:
    forwarded = {"ssl-client-cert": gateway.alice.escaped}
    async with gateway.client(None) as client:
        alice = await client.get(SECURED, headers={**gateway.bound_to(gateway.alice), **forwarded})
        bob = await client.get(SECURED, headers={**gateway.bound_to(gateway.bob), **forwarded})
    assert alice.status_code == 200
    assert bob.status_code == 401


async def test_tls_listener_settings_are_checked_together(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="go together"):
        gateway_settings(tmp_path, gateway_server="uvicorn", gateway_tls_certfile=tmp_path / "a.crt")
    with pytest.raises(ValidationError, match="granian hands the gateway no client certificate"):
        gateway_settings(
            tmp_path,
            gateway_server="granian",
            gateway_tls_certfile=tmp_path / "a.crt",
            gateway_tls_keyfile=tmp_path / "a.key",
        )
    assert tls_listener(gateway_settings(tmp_path)) == {}


async def test_bound_token_opens_a_websocket_only_with_its_certificate(gateway: TlsGateway) -> None:
    url = gateway.url.replace("https://", "wss://") + "/chat/1.0.0/rooms/1"
    headers = gateway.bound_to(gateway.alice)
    async with connect(url, ssl=gateway.context(gateway.alice), additional_headers=headers) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, ssl=gateway.context(gateway.bob), additional_headers=headers):
            pass
    assert refused.value.response.status_code == 401
