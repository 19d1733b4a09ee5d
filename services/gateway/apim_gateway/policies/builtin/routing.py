"""mirrorRequest and redirectRequest: where the request goes besides, or instead of, the endpoint.

mirrorRequest sends a copy of the request (as the policies before it left it) to another URL in
the background through the shared ``UpstreamClient``; the copy's answer is read and dropped, its
failures only logged, and the main request never waits for it.

redirectRequest sends the request to another URL instead of the API's endpoint. Contract with the
request path: when ``exchange.variables["redirect_url"]`` is set, the backend call goes to that
URL in place of the endpoint's (load balancing and failover of the endpoint do not apply), joined
with the resource path and query exactly as the endpoint URL would be. ``split_url`` and
``join_target`` below do that joining; the mirror uses them too, so both agree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_from_bytes, urlsplit

from apim_gateway.context import Exchange
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy, outgoing_headers
from apim_gateway.upstream import Origin

logger = logging.getLogger(__name__)

REDIRECT_VARIABLE = "redirect_url"
MIRROR_TIMEOUT = 30.0
# A request line holds printable ASCII only: a space, CR or LF in a path would end it early.
_UNSAFE = re.compile(r"[^\x21-\x7e]")
_PRINTABLE = bytes(range(0x21, 0x7F)).decode("ascii")


def split_url(url: str) -> tuple[Origin, str]:
    """An http(s) URL as the origin to connect to and the base path request paths go under."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in {url!r}") from exc
    return Origin.of(parts.scheme, parts.hostname, port), parts.path.rstrip("/")


def join_target(base_path: str, path: str, query: str) -> bytes:
    """The request target for ``path`` and ``query`` (both percent-encoded) under a base path.

    Whatever could not stand in a request line is percent-encoded, so nothing a policy or a
    client put in the path or query can split the request sent to the backend.
    """
    target = base_path + (path if path.startswith("/") else "/" + path) if path else base_path or "/"
    if query:
        target += "?" + query
    if _UNSAFE.search(target) is not None:
        # The query holds the client's bytes decoded as latin-1: encoded back, they keep their
        # value; text a policy added beyond latin-1 goes as UTF-8.
        try:
            raw = target.encode("latin-1")
        except UnicodeEncodeError:
            raw = target.encode()
        target = quote_from_bytes(raw, safe=_PRINTABLE)
    return target.encode("ascii")


class _UrlPolicy(BuiltinPolicy):
    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        self.url: str = self.values["url"]
        try:
            self.origin, self.base_path = split_url(self.url)
        except ValueError as exc:
            raise self.config_error("url", str(exc)) from exc


@register
class MirrorRequest(_UrlPolicy):
    name = "mirrorRequest"
    needs_request_body = True

    async def on_request(self, exchange: Exchange) -> Reply | None:
        request = exchange.request
        body = await exchange.request_body()
        target = join_target(self.base_path, request.path, request.query)
        # Everything the copy needs is taken now: later policies may still change the request.
        work = self._send(request.method.encode(), target, outgoing_headers(request.headers), body)
        self.services.spawn(work, f"mirrorRequest to {self.url}")
        return None

    async def _send(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        try:
            response = await self.services.upstream.request(
                self.origin, method, target, headers, body, read_timeout=MIRROR_TIMEOUT
            )
            await response.read()  # drained, so the connection goes back to the pool
        except Exception as exc:
            logger.info("mirrorRequest to %s failed: %r", self.url, exc)


@register
class RedirectRequest(_UrlPolicy):
    name = "redirectRequest"

    async def on_request(self, exchange: Exchange) -> Reply | None:
        exchange.variables[REDIRECT_VARIABLE] = self.url
        return None
