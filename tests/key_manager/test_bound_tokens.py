"""Certificate-bound access tokens (RFC 8705) at the token endpoint of a key manager serving TLS
itself and asking for client certificates (``APIM_KEY_MANAGER_TLS_*``): a client presenting one
gets tokens with ``cnf.x5t#S256``."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization

from apim_common.certificate_binding import peer_thumbprint
from apim_common.events.bus import InProcessBus
from apim_key_manager.app import create_app
from apim_key_manager.server import tls_listener
from apim_standalone.__main__ import control_plane_tls
from apim_standalone.settings import StandaloneSettings
from tests.key_manager.conftest import DCR, basic, key_manager_settings
from tests.support.certificates import Issued, TestAuthority
from tests.support.serving import serving

pytestmark = pytest.mark.asyncio(loop_scope="module")


def x5t(certificate: Issued) -> str:
    der = certificate.certificate.public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


@dataclass
class TlsKeyManager:
    url: str
    files: Path
    client: Issued
    registered: dict[str, Any]

    def http(self, certificate: Issued | None) -> httpx.AsyncClient:
        context = ssl.create_default_context(cafile=self.files / "ca.crt")
        if certificate is not None:
            context.load_cert_chain(*certificate.write(self.files, "client"))
        return httpx.AsyncClient(base_url=self.url, verify=context)

    async def token(
        self, certificate: Issued | None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        async with self.http(certificate) as http:
            r = await http.post(
                "/oauth2/token",
                data={"grant_type": "password", "username": "admin", "password": "admin"},
                headers={
                    **basic(self.registered["clientId"], self.registered["clientSecret"]),
                    **(headers or {}),
                },
            )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def km(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TlsKeyManager]:
    files = tmp_path_factory.mktemp("km-bound-tokens")
    authority = TestAuthority()
    (files / "ca.crt").write_text(authority.ca.pem)
    server_cert, server_key = authority.issue("localhost", server=True).write(files, "server")
    settings = key_manager_settings(
        files,
        certificate_bound_tokens=True,
        token_trusted_proxies="127.0.0.1/32",
        key_manager_tls_certfile=server_cert,
        key_manager_tls_keyfile=server_key,
        key_manager_tls_client_ca=files / "ca.crt",
    )
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager,
        # Served with the options ``python -m apim_key_manager`` gives uvicorn for these settings.
        serving(manager.app, **tls_listener(settings)) as port,
    ):
        url = f"https://localhost:{port}"
        context = ssl.create_default_context(cafile=files / "ca.crt")
        async with httpx.AsyncClient(base_url=url, verify=context) as http:
            r = await http.post(
                DCR,
                json={"clientName": "bound", "owner": "admin", "grantType": "password client_credentials"},
                headers=basic("admin", "admin"),
            )
        assert r.status_code == 200, r.text
        yield TlsKeyManager(url, files, authority.issue("orders-client"), r.json())


async def test_token_of_a_client_presenting_a_certificate_is_bound_to_it(km: TlsKeyManager) -> None:
    body = await km.token(km.client)
    assert claims_of(body["access_token"])["cnf"] == {"x5t#S256": x5t(km.client)}


async def test_token_without_a_certificate_is_not_bound(km: TlsKeyManager) -> None:
    body = await km.token(None)
    assert "cnf" not in claims_of(body["access_token"])


async def test_certificate_forwarded_by_a_trusted_terminator_binds_the_token(km: TlsKeyManager) -> None:
    body = await km.token(None, {"ssl-client-cert": km.client.escaped})
    assert claims_of(body["access_token"])["cnf"] == {"x5t#S256": x5t(km.client)}


async def test_introspection_shows_the_binding(km: TlsKeyManager) -> None:
    bound = (await km.token(km.client))["access_token"]
    unbound = (await km.token(None))["access_token"]
    credentials = basic(km.registered["clientId"], km.registered["clientSecret"])
    async with km.http(None) as http:
        of_bound = (await http.post("/oauth2/introspect", data={"token": bound}, headers=credentials)).json()
        of_unbound = (
            await http.post("/oauth2/introspect", data={"token": unbound}, headers=credentials)
        ).json()
    assert of_bound["active"] is True
    assert of_bound["cnf"] == {"x5t#S256": x5t(km.client)}
    assert "cnf" not in of_unbound


async def test_binding_off_issues_no_cnf(tmp_path: Path) -> None:
    """The default: a certificate presented on the token request changes nothing."""
    settings = key_manager_settings(tmp_path, token_trusted_proxies="127.0.0.1/32")
    app = create_app(settings, bus=InProcessBus())
    authority = TestAuthority()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            r = await http.post(
                DCR,
                json={"clientName": "plain", "owner": "admin", "grantType": "client_credentials"},
                headers=basic("admin", "admin"),
            )
            client = r.json()
            token = await http.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers={
                    **basic(client["clientId"], client["clientSecret"]),
                    "ssl-client-cert": authority.issue("x").escaped,
                },
            )
    assert token.status_code == 200, token.text
    assert "cnf" not in claims_of(token.json()["access_token"])


async def test_standalone_control_plane_hands_the_client_certificate_to_the_app(
    km: TlsKeyManager, tmp_path: Path
) -> None:
    """``APIM_TLS_CLIENT_CA``: the standalone runner's control-plane listener asks for client
    certificates and hands them to the services (the token endpoint) as the key manager's does."""
    seen: list[str | None] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(peer_thumbprint(scope))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    settings = StandaloneSettings(
        tls_certfile=km.files / "server.crt",
        tls_keyfile=km.files / "server.key",
        tls_client_ca=km.files / "ca.crt",
    )
    async with serving(app, **control_plane_tls(settings)) as port:
        for certificate in (km.client, None):
            async with km.http(certificate) as http:
                http.base_url = httpx.URL(f"https://localhost:{port}")
                assert (await http.get("/")).status_code == 204
    assert seen == [x5t(km.client), None]
    assert control_plane_tls(StandaloneSettings()) == {}
