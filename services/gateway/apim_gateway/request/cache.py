"""Response cache: the backend call of an API with ``responseCachingEnabled``, answered from the
gateway's cache when it can be (``runtime/response_cache.py`` keeps the entries).

It stands in for the backend call only, and answers as the backend would (a ``CachedAnswer``):
authentication, the subscription check, rate limits and the request policies run before it on
every request, and whatever follows the backend's answer (response validation, the response
policies) runs after it on every answer, from the cache or not. What is kept is the backend's
answer, never a policy's rendering of it.

Kept: answers to GET without a request body (a HEAD is answered from the GET's entry when there is
one, and is never kept itself: it has no body to answer a GET with), of status 200, 203, 204,
300, 301 or 308, that set no cookie, whose size is known and at most
``APIM_GATEWAY_RESPONSE_CACHE_MAX_ENTRY_BYTES`` (larger answers, and bodies of unknown length
still arriving, stream through unkept). The backend's ``Cache-Control`` is honoured: ``no-store``
and ``no-cache`` are never kept (there is no revalidation); ``private`` is kept only where the
entry is the caller's own (the resource needs authentication, so the key holds the caller);
``s-maxage``, else ``max-age``, shortens the API's ``cacheTimeout``, never lengthens it.
``Vary: *`` is never kept; other ``Vary`` headers part the entries by the request's values.
A client's own ``Cache-Control`` does not bypass the cache, which protects the backend.

The key: tenant, API, deployed revision, method, backend path and query (as the request policies
left them), ``Accept``, and the caller (application, end user, key type) unless the resource
needs no authentication; there, a request carrying credentials anyway is neither answered from
the cache nor kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from apim_gateway.context import Exchange, Headers, header
from apim_gateway.errors import BACKEND_FAILED, GatewayError
from apim_gateway.request.backend import call_backend
from apim_gateway.request.body import RequestBody
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.response_cache import BaseKey
from apim_gateway.upstream import UpstreamError, UpstreamResponse

CACHEABLE_STATUSES = frozenset((200, 203, 204, 300, 301, 308))
# Not kept with an entry: connection management and framing of that one exchange.
_NOT_KEPT = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade", b"transfer-encoding")
)
_REDIRECT_VARIABLE = "redirect_url"


class CachedAnswer(UpstreamResponse):
    """A kept answer, read as the backend's own: its body whole, nothing to wait for or close."""

    __slots__ = ("_body",)

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self._body = body

    @property
    def complete(self) -> bool:
        return True

    async def read(self) -> bytes:
        return self._body

    async def iter_body(self) -> AsyncIterator[bytes]:
        yield self._body

    def close(self) -> None:
        return None


async def cached_backend(
    services: Services,
    api: CompiledApi,
    op: Operation,
    exchange: Exchange,
    body: RequestBody,
    trace_headers: list[tuple[bytes, bytes]],
    outcome: Outcome,
) -> UpstreamResponse:
    """The kept answer to this request, else the backend's (kept on the way when it may be)."""
    request = exchange.request
    method = request.method
    headers = request.headers
    if (method != "GET" and method != "HEAD") or not _cacheable_request(api, op, headers):
        return await call_backend(services, api, op, exchange, body, trace_headers)
    cache = services.state.response_cache
    base = _base_key(api, op, exchange)
    entry = cache.get(base, headers)
    if entry is not None:
        outcome.cache_hit = True
        return CachedAnswer(entry.status, list(entry.headers), entry.body)
    upstream = await call_backend(services, api, op, exchange, body, trace_headers)
    if method == "HEAD":
        return upstream
    assert api.cache_timeout is not None
    kept = _storable(upstream, api.cache_timeout, private_ok=op.secured, max_size=cache.max_entry_bytes)
    if kept is None:
        return upstream
    lifetime, vary = kept
    try:
        data = await upstream.read()
    except UpstreamError as exc:
        raise GatewayError(502, BACKEND_FAILED, f"The backend broke the exchange: {exc}") from exc
    response_headers = tuple((k, v) for k, v in upstream.headers if k.lower() not in _NOT_KEPT)
    # Not for a revision replaced while the backend answered: its entries are gone for good.
    if services.state.apis.get(api.id) is api:
        cache.put(base, vary, headers, (upstream.status, response_headers, data), lifetime)
    return CachedAnswer(upstream.status, list(response_headers), data)


def _cacheable_request(api: CompiledApi, op: Operation, headers: Headers) -> bool:
    for name, value in headers:
        if name == "transfer-encoding" or (name == "content-length" and value.strip() != "0"):
            return False  # a request body is not part of the key
        if not op.secured and (name == "authorization" or name == api.authorization_header):
            return False  # credentials the gateway did not check: the answer may be theirs alone
    return True


def _base_key(api: CompiledApi, op: Operation, exchange: Exchange) -> BaseKey:
    request = exchange.request
    redirect = exchange.variables.get(_REDIRECT_VARIABLE)
    auth = exchange.auth
    return (
        api.tenant,
        api.id,
        api.revision_id,
        "GET",
        request.path,
        request.query,
        header(request.headers, "accept") or "",
        str(redirect) if redirect is not None else "",
        auth.application_id if op.secured else None,
        auth.subscriber if op.secured else None,
        auth.key_type,
    )


def _storable(
    upstream: UpstreamResponse, timeout: float, *, private_ok: bool, max_size: int
) -> tuple[float, tuple[str, ...]] | None:
    """How long the answer may be kept and the request headers it varies on; None: not kept."""
    if upstream.status not in CACHEABLE_STATUSES:
        return None
    lifetime = timeout
    vary: list[str] = []
    length: int | None = None
    for raw_name, raw_value in upstream.headers:
        name = raw_name.lower()
        if name == b"set-cookie":
            return None
        if name == b"content-length":
            if not raw_value.strip().isdigit():
                return None
            length = int(raw_value)
        elif name == b"cache-control":
            directives = _directives(raw_value.decode("latin-1"))
            if "no-store" in directives or "no-cache" in directives:
                return None
            if "private" in directives and not private_ok:
                return None
            age = directives.get("s-maxage") or directives.get("max-age")
            if age is not None:
                if not age.isdigit():
                    return None
                lifetime = min(lifetime, float(age))
        elif name == b"vary":
            for item in raw_value.decode("latin-1").split(","):
                item = item.strip().lower()
                if item == "*":
                    return None
                if item and item not in vary:
                    vary.append(item)
    if lifetime <= 0:
        return None
    if length is None:
        if not upstream.complete:
            return None  # a body of unknown length, still arriving, streams through
    elif length > max_size:
        return None
    return lifetime, tuple(sorted(vary))


def _directives(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"') if argument else None
    return directives
