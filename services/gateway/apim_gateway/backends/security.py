"""Backend endpoint security (``endpointConfig.endpoint_security``): the credentials the gateway
presents to an API's backend, per key type, compiled once per deployed revision.

Each kind answers two questions for the request path, both as the ``Authorization`` value to
send (it replaces whatever the client sent: the backend trusts the gateway, not the caller):

- ``credentials(origin, method, target)``: what to send up front (None: nothing yet);
- ``challenged(origin, method, target, headers, sent)``: after the backend's 401, what to send on
  the one retry (None: no retry, the 401 goes back to the client).

BASIC sends a header computed at deploy time. DIGEST answers the backend's challenge and keeps
answering it with the next nonce count. OAUTH sends a cached token and, on a 401, fetches
another once. The secrets arrive sealed in the artifact and are opened here, at compile time.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from apim_common.sealed import SecretBox, is_sealed
from apim_gateway.backends.digest import DigestCredentials
from apim_gateway.backends.tokens import TokenSource
from apim_gateway.upstream import BodyStream, Origin, UpstreamClient, UpstreamResponse

Headers = list[tuple[bytes, bytes]]


class BackendCredentials(Protocol):
    async def credentials(self, origin: Origin, method: bytes, target: bytes) -> bytes | None: ...

    async def challenged(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, sent: bytes | None
    ) -> bytes | None: ...


class BasicCredentials:
    __slots__ = ("_value",)

    def __init__(self, username: str, password: str) -> None:
        self._value = b"Basic " + base64.b64encode(f"{username}:{password}".encode())

    async def credentials(self, origin: Origin, method: bytes, target: bytes) -> bytes | None:
        return self._value

    async def challenged(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, sent: bytes | None
    ) -> bytes | None:
        return None  # the same credentials again would be refused again


class DigestBackend:
    __slots__ = ("_digest",)

    def __init__(self, username: str, password: str) -> None:
        self._digest = DigestCredentials(username, password)

    async def credentials(self, origin: Origin, method: bytes, target: bytes) -> bytes | None:
        return self._digest.authorization(origin, method, target)

    async def challenged(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, sent: bytes | None
    ) -> bytes | None:
        return self._digest.answer(origin, method, target, headers)


class OAuthBackend:
    __slots__ = ("_source",)

    def __init__(self, source: TokenSource) -> None:
        self._source = source

    async def credentials(self, origin: Origin, method: bytes, target: bytes) -> bytes | None:
        return b"Bearer " + (await self._source.token()).encode("latin-1")

    async def challenged(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, sent: bytes | None
    ) -> bytes | None:
        if sent is not None:
            self._source.refused(sent.removeprefix(b"Bearer ").decode("latin-1"))
        return b"Bearer " + (await self._source.token()).encode("latin-1")


async def send_with_credentials(
    upstream: UpstreamClient,
    credentials: BackendCredentials,
    origin: Origin,
    method: bytes,
    target: bytes,
    headers: Headers,
    body: bytes | BodyStream,
    read_timeout: float,
) -> UpstreamResponse:
    """The request with the backend's credentials, retried once after a 401 that they can answer.

    ``headers`` hold no Authorization. A streamed body was spent on the first attempt: its 401
    goes back to the client rather than a retry without the body. ``TokenError`` when no token
    can be had."""
    sent = await credentials.credentials(origin, method, target)
    first = headers if sent is None else [*headers, (b"authorization", sent)]
    response = await upstream.request(origin, method, target, first, body, read_timeout=read_timeout)
    if response.status != 401 or isinstance(body, BodyStream):
        return response
    retry = await credentials.challenged(origin, method, target, response.headers, sent)
    if retry is None:
        return response
    response.close()  # a 401 still arriving is cut off; a whole one already freed its connection
    retried = [*headers, (b"authorization", retry)]
    return await upstream.request(origin, method, target, retried, body, read_timeout=read_timeout)


class BackendSecurity:
    """What compiling endpoint security needs, created once per gateway: the box that opens the
    artifact's sealed secrets, the guarded client for token endpoints, and the token sources by
    credentials, so a redeployed revision with the same credentials keeps its token."""

    def __init__(self, box: SecretBox, http: httpx.AsyncClient) -> None:
        self.box = box
        self.http = http
        self._sources: dict[str, TokenSource] = {}

    def _secret(self, value: Any) -> str:
        """A sealed secret opened; ``ValueError`` (the revision cannot be served) if it won't."""
        if value is None or value == "":
            return ""
        if not is_sealed(value):
            raise ValueError("endpoint security secrets must arrive sealed")
        return self.box.open(str(value))

    def _token_source(self, side: Mapping[str, Any]) -> TokenSource:
        grant = str(side.get("grantType") or "CLIENT_CREDENTIALS").upper()
        url = str(side.get("tokenUrl") or "")
        client_id = str(side.get("clientId") or "")
        client_secret = self._secret(side.get("clientSecret"))
        params = side.get("customParameters") or {}
        form = {str(k): str(v) for k, v in params.items()} if isinstance(params, Mapping) else {}
        if grant == "PASSWORD":
            form.update(
                grant_type="password",
                username=str(side.get("username") or ""),
                password=self._secret(side.get("password")),
            )
        elif grant == "CLIENT_CREDENTIALS":
            form["grant_type"] = "client_credentials"
        else:
            raise ValueError(f"unsupported endpoint security grantType {grant!r}")
        # Keyed by a digest of everything the token depends on; the secrets stay out of the key.
        identity = json.dumps([url, client_id, client_secret, sorted(form.items())]).encode()
        key = hashlib.sha256(identity).hexdigest()
        source = self._sources.get(key)
        if source is None:
            source = self._sources[key] = TokenSource(self.http, url, client_id, client_secret, form)
        return source

    def compile(self, side: Any) -> BackendCredentials | None:
        """One side's credentials; None when the side has no enabled security."""
        if not isinstance(side, Mapping) or not side.get("enabled"):
            return None
        kind = str(side.get("type") or "").upper()
        if kind == "BASIC":
            return BasicCredentials(str(side.get("username") or ""), self._secret(side.get("password")))
        if kind == "DIGEST":
            return DigestBackend(str(side.get("username") or ""), self._secret(side.get("password")))
        if kind == "OAUTH":
            return OAuthBackend(self._token_source(side))
        raise ValueError(f"unsupported endpoint security type {kind!r}")
