"""HTTP Digest (RFC 7616) towards a backend, computed by httpx's ``DigestAuth`` through its public
``auth_flow``: MD5, SHA-256 and SHA-512 (and their ``-sess`` forms), ``qop=auth``.

One ``DigestAuth`` per backend origin keeps that server's last challenge, so following requests
answer it up front with the next nonce count, without a 401 first; a 401 carrying a new challenge
(a new nonce, or ``stale=true``) replaces it. The computation runs on plain ``httpx.Request``
objects; nothing is sent through httpx.
"""

from __future__ import annotations

import httpx

from apim_gateway.upstream import Origin

_FAILURES = (httpx.ProtocolError, KeyError, NotImplementedError, ValueError)


class DigestCredentials:
    """A username and password answering each origin's Digest challenges."""

    __slots__ = ("_auths", "_password", "_username")

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password
        self._auths: dict[Origin, httpx.DigestAuth] = {}

    def _request(self, origin: Origin, method: bytes, target: bytes) -> httpx.Request:
        url = httpx.URL(scheme=origin.scheme, host=origin.host, port=origin.port).copy_with(raw_path=target)
        return httpx.Request(method.decode("latin-1"), url)

    def authorization(self, origin: Origin, method: bytes, target: bytes) -> bytes | None:
        """The answer to the origin's last challenge, the nonce count advanced; None before any."""
        auth = self._auths.get(origin)
        if auth is None:
            return None
        request = self._request(origin, method, target)
        try:
            next(auth.auth_flow(request))
        except _FAILURES:
            return None
        value = request.headers.get("authorization")
        return value.encode("latin-1") if value else None

    def answer(
        self, origin: Origin, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> bytes | None:
        """The answer to a 401's ``WWW-Authenticate: Digest`` challenge; None when it holds none
        this client can answer (another scheme, auth-int only, an unknown algorithm)."""
        challenges = [v for k, v in headers if k.lower() == b"www-authenticate"]
        if not any(v[:7].lower() == b"digest " for v in challenges):
            return None
        auth = httpx.DigestAuth(self._username, self._password)
        request = self._request(origin, method, target)
        flow = auth.auth_flow(request)
        challenge = httpx.Response(
            401, headers=[(b"www-authenticate", v) for v in challenges], request=request
        )
        try:
            next(flow)
            retried: httpx.Request = flow.send(challenge)
        except (StopIteration, *_FAILURES):
            return None
        value: str | None = retried.headers.get("authorization")
        if not value:
            return None
        self._auths[origin] = auth
        return value.encode("latin-1")
