"""Backend endpoint security through the real gateway: Basic, Digest (RFC 7616) and OAuth2
tokens (client_credentials, password) reaching real local backends, per key type."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest

from apim_common.events.topics import Topic
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox
from tests.gateway.conftest import Harness, pets_api
from tests.support.processes import free_port
from tests.support.serving import serving

ECHO = "/pets/1.0.0/echo/1"


def _sealed(harness: Harness, value: str) -> str:
    return SecretBox(harness.gateway.settings.secret(), ENDPOINT_SECRETS).seal(value)


def _deploy(harness: Harness, security: dict[str, Any], *, url: str | None = None) -> None:
    api = pets_api(harness.backend_port)
    config = api["endpointConfig"]
    if url is not None:
        config["production_endpoints"] = {"url": url}
    config["endpoint_security"] = security
    assert harness.gateway.state.deploy(api)


def _basic(harness: Harness, username: str, password: str) -> dict[str, Any]:
    return {"enabled": True, "type": "BASIC", "username": username, "password": _sealed(harness, password)}


def _decoded_basic(value: str) -> str:
    scheme, _, credentials = value.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(credentials).decode()


def _kv(header: str) -> dict[str, str]:
    fields = {}
    for part in header.removeprefix("Digest ").split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value.strip('"')
    return fields


@dataclass
class SecuredBackend:
    """A backend that wants Digest under /digest and a bearer token under /oauth, and the token
    endpoint that issues those tokens."""

    algorithm: str = "SHA-256"
    url: str = ""
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))
    challenges: int = 0
    digest_seen: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    backend_tokens: list[str] = field(default_factory=list)
    accept_tokens: bool = True
    token_status: int = 200
    # Every Authorization header each request to /plain carried.
    plain_authorizations: list[list[str]] = field(default_factory=list)

    def _hash(self, data: str) -> str:
        name = {"MD5": "md5", "SHA-256": "sha256"}[self.algorithm]
        return hashlib.new(name, data.encode()).hexdigest()

    def _digest_ok(self, method: str, header: str) -> bool:
        """RFC 7616 3.4.1, checked on this side independently of the gateway's computation."""
        f = _kv(header)
        if f.get("nonce") != self.nonce or f.get("username") != "shop" or f.get("qop") != "auth":
            return False
        ha1 = self._hash("shop:pizza-realm:digest-secret")
        ha2 = self._hash(f"{method}:{f['uri']}")
        expected = self._hash(f"{ha1}:{f['nonce']}:{f['nc']}:{f['cnonce']}:auth:{ha2}")
        return f.get("response") == expected

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path: str = scope["path"]
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, extra, payload = 200, [], {"path": path}
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            await asyncio.sleep(0.05)  # long enough for concurrent requests to overlap the fetch
            self.token_requests.append({"authorization": headers.get("authorization"), **form})
            token = f"token-{len(self.token_requests)}"
            status = self.token_status
            if self.accept_tokens:
                self.valid_tokens.add(token)
            payload = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        elif path.startswith("/digest"):
            authorization = headers.get("authorization", "")
            if authorization.startswith("Digest ") and self._digest_ok(scope["method"], authorization):
                self.digest_seen.append(_kv(authorization))
            else:
                self.challenges += 1
                status = 401
                challenge = (
                    f'Digest realm="pizza-realm", qop="auth", algorithm={self.algorithm}, '
                    f'nonce="{self.nonce}", opaque="o-1"'
                )
                extra = [(b"www-authenticate", challenge.encode())]
        elif path.startswith("/plain"):
            self.plain_authorizations.append(
                [v.decode() for k, v in scope["headers"] if k == b"authorization"]
            )
        elif path.startswith("/oauth"):
            token = headers.get("authorization", "").removeprefix("Bearer ")
            self.backend_tokens.append(token)
            if token not in self.valid_tokens:
                status = 401
            payload = {"path": path, "body": body.decode()}
        data = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": data})


@pytest.fixture
async def secured() -> AsyncIterator[SecuredBackend]:
    backend = SecuredBackend()
    async with serving(backend.app, log_level="warning", access_log=False, interface="asgi3") as port:
        backend.url = f"http://127.0.0.1:{port}"
        yield backend


def _oauth(harness: Harness, secured: SecuredBackend, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "type": "OAUTH",
        "grantType": "CLIENT_CREDENTIALS",
        "tokenUrl": f"{secured.url}/token",
        "clientId": "gw-client",
        "clientSecret": _sealed(harness, "gw-secret"),
        "customParameters": {"audience": "pets"},
        **extra,
    }


async def test_basic_credentials_reach_the_production_backend(harness: Harness) -> None:
    _deploy(harness, {"production": _basic(harness, "shop", "s3cret")})
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 200
    # The backend's credentials, whatever the client sent to the gateway.
    assert _decoded_basic(r.json()["headers"]["authorization"]) == "shop:s3cret"


async def test_sandbox_side_uses_its_own_credentials(harness: Harness) -> None:
    _deploy(
        harness,
        {"production": _basic(harness, "shop", "s3cret"), "sandbox": _basic(harness, "sandbox-shop", "play")},
    )
    sandbox = await harness.client.get(ECHO, headers=harness.bearer(client_id="client-sbx"))
    production = await harness.client.get(ECHO, headers=harness.bearer())
    assert sandbox.json()["path"] == "/echo/sandbox/echo/1"
    assert _decoded_basic(sandbox.json()["headers"]["authorization"]) == "sandbox-shop:play"
    assert _decoded_basic(production.json()["headers"]["authorization"]) == "shop:s3cret"


async def test_a_side_without_security_sends_no_credentials(harness: Harness) -> None:
    _deploy(harness, {"production": _basic(harness, "shop", "s3cret"), "sandbox": {"enabled": False}})
    sandbox = await harness.client.get(ECHO, headers=harness.bearer(client_id="client-sbx"))
    assert "authorization" not in sandbox.json()["headers"]


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
async def test_digest_challenge_is_answered_and_the_nonce_reused(
    harness: Harness, secured: SecuredBackend, algorithm: str
) -> None:
    secured.algorithm = algorithm
    digest = {
        "enabled": True,
        "type": "DIGEST",
        "username": "shop",
        "password": _sealed(harness, "digest-secret"),
    }
    _deploy(harness, {"production": digest}, url=f"{secured.url}/digest")
    first = await harness.client.get(ECHO, headers=harness.bearer())
    second = await harness.client.get(ECHO, headers=harness.bearer())
    assert (first.status_code, second.status_code) == (200, 200)
    assert secured.challenges == 1
    assert [(s["nonce"], s["nc"]) for s in secured.digest_seen] == [
        (secured.nonce, "00000001"),
        (secured.nonce, "00000002"),
    ]
    assert secured.digest_seen[0]["uri"] == "/digest/echo/1"


async def test_a_new_digest_nonce_is_answered_again(harness: Harness, secured: SecuredBackend) -> None:
    digest = {
        "enabled": True,
        "type": "DIGEST",
        "username": "shop",
        "password": _sealed(harness, "digest-secret"),
    }
    _deploy(harness, {"production": digest}, url=f"{secured.url}/digest")
    await harness.client.get(ECHO, headers=harness.bearer())
    secured.nonce = "rotated-nonce"
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 200
    assert (secured.digest_seen[-1]["nonce"], secured.digest_seen[-1]["nc"]) == ("rotated-nonce", "00000001")


async def test_wrong_digest_password_returns_the_backends_401(
    harness: Harness, secured: SecuredBackend
) -> None:
    digest = {"enabled": True, "type": "DIGEST", "username": "shop", "password": _sealed(harness, "wrong")}
    _deploy(harness, {"production": digest}, url=f"{secured.url}/digest")
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 401
    assert secured.challenges == 2  # the first try and the one retry, no more


async def test_client_credentials_token_is_fetched_once_and_cached(
    harness: Harness, secured: SecuredBackend
) -> None:
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    responses = await asyncio.gather(*(harness.client.get(ECHO, headers=harness.bearer()) for _ in range(8)))
    responses.append(await harness.client.get(ECHO, headers=harness.bearer()))
    assert [r.status_code for r in responses] == [200] * 9
    (request,) = secured.token_requests
    assert _decoded_basic(request["authorization"]) == "gw-client:gw-secret"
    assert (request["grant_type"], request["audience"]) == ("client_credentials", "pets")
    assert set(secured.backend_tokens) == {"token-1"}


async def test_a_redeployed_revision_with_the_same_credentials_keeps_the_token(
    harness: Harness, secured: SecuredBackend
) -> None:
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    await harness.client.get(ECHO, headers=harness.bearer())
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    await harness.client.get(ECHO, headers=harness.bearer())
    assert len(secured.token_requests) == 1


async def test_backend_401_refreshes_the_token_once(harness: Harness, secured: SecuredBackend) -> None:
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    assert (await harness.client.get(ECHO, headers=harness.bearer())).status_code == 200
    secured.valid_tokens.clear()  # the backend stops taking token-1
    r = await harness.client.post(
        "/pets/1.0.0/echo",
        content=b'{"order": 1}',
        headers={**harness.bearer(), "content-type": "application/json"},
    )
    assert r.status_code == 200
    assert r.json()["body"] == '{"order": 1}'  # the retry carried the body again
    assert len(secured.token_requests) == 2
    assert secured.backend_tokens == ["token-1", "token-1", "token-2"]


async def test_a_token_the_backend_keeps_refusing_is_not_fetched_again_and_again(
    harness: Harness, secured: SecuredBackend
) -> None:
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    secured.accept_tokens = False
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 401
    assert len(secured.token_requests) == 2  # the first token and one refresh


async def test_password_grant_token_reaches_the_backend(harness: Harness, secured: SecuredBackend) -> None:
    oauth = _oauth(
        harness, secured, grantType="PASSWORD", username="svc-user", password=_sealed(harness, "svc-pass")
    )
    _deploy(harness, {"production": oauth}, url=f"{secured.url}/oauth")
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 200
    (request,) = secured.token_requests
    assert (request["grant_type"], request["username"], request["password"]) == (
        "password",
        "svc-user",
        "svc-pass",
    )
    assert secured.backend_tokens == ["token-1"]


async def test_an_unreachable_token_endpoint_is_503_101503(harness: Harness, secured: SecuredBackend) -> None:
    oauth = _oauth(harness, secured, tokenUrl=f"http://127.0.0.1:{free_port()}/token")
    _deploy(harness, {"production": oauth}, url=f"{secured.url}/oauth")
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 503
    assert r.json()["code"] == "101503"
    assert "gw-secret" not in r.text


async def test_a_secret_sealed_under_another_key_is_not_deployed(harness: Harness) -> None:
    foreign = SecretBox("another-installation-secret-key-0123456789", ENDPOINT_SECRETS).seal("pw")
    api = pets_api(harness.backend_port)
    api["endpointConfig"]["endpoint_security"] = {
        "production": {"enabled": True, "type": "BASIC", "username": "shop", "password": foreign}
    }
    assert not harness.gateway.state.deploy(api)


async def test_the_clients_authorization_is_replaced_not_forwarded(
    harness: Harness, secured: SecuredBackend
) -> None:
    _deploy(harness, {"production": _basic(harness, "shop", "s3cret")}, url=f"{secured.url}/plain")
    # An operation without authentication: the gateway itself has no use for the client's header.
    client_credentials = "Basic " + base64.b64encode(b"client:creds").decode()
    r = await harness.client.get("/pets/1.0.0/echo/open", headers={"Authorization": client_credentials})
    assert r.status_code == 200
    ((only,),) = secured.plain_authorizations
    assert _decoded_basic(only) == "shop:s3cret"


async def test_a_product_operation_uses_its_member_apis_endpoint_security(harness: Harness) -> None:
    product = pets_api(harness.backend_port, id="prod-secured", context="/bundle", type="APIProduct")
    product["endpointConfig"] = None
    product["operations"] = [
        {
            "verb": "GET",
            "target": "/items",
            "authType": "Any",
            "apiId": "api-member",
            "endpointConfig": {
                "endpoint_type": "http",
                "production_endpoints": {"url": f"http://127.0.0.1:{harness.backend_port}/echo/member"},
                "endpoint_security": {"production": _basic(harness, "member", "m3mber")},
            },
        }
    ]
    assert harness.gateway.state.deploy(product)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {
            "subscriptionId": "sub-ps",
            "applicationId": "app-1",
            "apiId": "prod-secured",
            "throttlingPolicy": "Gold",
        },
    )
    r = await harness.client.get("/bundle/1.0.0/items", headers=harness.bearer())
    assert r.json()["path"] == "/echo/member/items"
    assert _decoded_basic(r.json()["headers"]["authorization"]) == "member:m3mber"


async def test_a_failing_token_endpoint_is_not_asked_once_per_request(
    harness: Harness, secured: SecuredBackend
) -> None:
    secured.token_status = 500
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    first = await harness.client.get(ECHO, headers=harness.bearer())
    second = await harness.client.get(ECHO, headers=harness.bearer())
    assert (first.status_code, second.status_code) == (503, 503)
    assert "HTTP 500" in second.json()["description"]
    assert len(secured.token_requests) == 1
    assert secured.backend_tokens == []


async def test_a_streamed_body_is_not_replayed_after_a_401(harness: Harness, secured: SecuredBackend) -> None:
    _deploy(harness, {"production": _oauth(harness, secured)}, url=f"{secured.url}/oauth")
    secured.accept_tokens = False

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"x" * 65536

    r = await harness.client.post(
        "/pets/1.0.0/echo", content=chunks(), headers={**harness.bearer(), "content-type": "text/plain"}
    )
    assert r.status_code == 401  # the backend's answer: the body was spent on the first attempt
    assert secured.backend_tokens == ["token-1"]
    assert len(secured.token_requests) == 1
