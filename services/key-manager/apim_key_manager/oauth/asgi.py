"""POST /oauth2/token and /oauth2/introspect as plain ASGI, in front of FastAPI's routing.

A token costs one signature (RSA-2048: about 250 us of CPU) and the HTTP around it; through
FastAPI's routing, dependency resolution and form parsing that HTTP cost four times the signature.
This front answers the two paths from the ASGI messages themselves, with the same rules
(``oauth/exchange.py``), the same metrics (label sets bound once) and client-address binding as
every other request, and one server span when spans are exported. Every other request, and every
other method on these paths, goes to the app's own middleware stack.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import Counter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from apim_common.telemetry import LATENCY, REQUESTS, spans_exported
from apim_key_manager.context import KeyManager
from apim_key_manager.oauth import exchange
from apim_key_manager.oauth.errors import NO_STORE, InvalidRequestError, OAuth2Error, render
from apim_key_manager.oauth.forms import MAX_FORM_BYTES, check_content_type, parse_form
from apim_key_manager.users.lockout import ClientAddressMiddleware

TOKEN = "/oauth2/token"
INTROSPECT = "/oauth2/introspect"
_JSON_HEADERS = [(b"content-type", b"application/json")] + [
    (name.lower().encode(), value.encode()) for name, value in NO_STORE.items()
]
_TRACE_HEADERS = ("traceparent", "tracestate")

# The status of a request whose client went away before its body arrived: nothing is sent.
CLIENT_GONE = 499

Headers = dict[str, str]
Answer = Callable[[KeyManager, dict[str, str], Headers, Scope], Awaitable[dict[str, Any]]]


async def _token(km: KeyManager, form: dict[str, str], headers: Headers, scope: Scope) -> dict[str, Any]:
    client = scope.get("client")
    return await exchange.token(km, form, headers, scope, client[0] if client else "")


async def _introspect(km: KeyManager, form: dict[str, str], headers: Headers, _: Scope) -> dict[str, Any]:
    return await exchange.introspection(km, form, headers.get("authorization"))


ANSWERS: dict[str, Answer] = {TOKEN: _token, INTROSPECT: _introspect}


def _headers(scope: Scope) -> Headers:
    """Request headers by name; the first of a repeated one, as Starlette's ``Headers.get``."""
    # Built from the last to the first, so that the first of a repeated name is the one kept.
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])}


async def _body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client went away first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        if not message.get("more_body", False) and not chunks:
            return chunk
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise InvalidRequestError(description="The body is too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*extra, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Metrics:
    """``apim_common.telemetry.MetricsMiddleware``'s two metrics, with their label sets bound once."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._latency = LATENCY.labels(service, "POST")
        self._requests: dict[int, Counter] = {}

    def observe(self, status: int, elapsed: float) -> None:
        counter = self._requests.get(status)
        if counter is None:
            counter = self._requests[status] = REQUESTS.labels(self._service, "POST", str(status))
        counter.inc()
        self._latency.observe(elapsed)


class OAuthFront:
    """Serves ``ANSWERS``' paths for POST; hands everything else to ``app``, the service's stack."""

    def __init__(self, service: FastAPI, app: ASGIApp, tracer: trace.Tracer | None = None) -> None:
        self.service = service
        # Named ``app`` as in every ASGI middleware: FastAPI looks down the ``app`` chain for the
        # OpenTelemetry middleware, and traces every request a second time when it finds none.
        self.app = app
        if tracer is None and spans_exported():
            tracer = trace.get_tracer(__name__)
        self._tracer = tracer
        self._metrics = _Metrics(service.state.service_name)
        self._served = ClientAddressMiddleware(self._serve)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ANSWERS and scope["method"] == "POST":
            await self._served(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what MetricsMiddleware counts for an answer never sent, as here
        try:
            if self._tracer is None:
                status = await self._answer(scope, receive, send, _headers(scope))
            else:
                status = await self._traced(self._tracer, scope, receive, send)
        finally:
            self._metrics.observe(500 if status == CLIENT_GONE else status, time.perf_counter() - started)

    async def _traced(self, tracer: trace.Tracer, scope: Scope, receive: Receive, send: Send) -> int:
        headers = _headers(scope)
        carrier = {name: headers[name] for name in _TRACE_HEADERS if name in headers}
        span = tracer.start_span(
            f"POST {scope['path']}", context=propagate.extract(carrier), kind=SpanKind.SERVER
        )
        with trace.use_span(span, end_on_exit=True):
            span.set_attribute("http.request.method", "POST")
            span.set_attribute("url.path", scope["path"])
            status = await self._answer(scope, receive, send, headers)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
        return status

    async def _answer(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> int:
        """Answer one request; the status it got."""
        try:
            check_content_type(headers.get("content-type", ""))
            body = await _body(receive)
            if body is None:
                return CLIENT_GONE
            km: KeyManager = self.service.state.key_manager
            answer = await ANSWERS[scope["path"]](km, parse_form(body), headers, scope)
        except OAuth2Error as exc:
            status, error, error_headers = render(exc)
            extra = [(b"content-type", b"application/json")]
            extra += [(name.lower().encode(), value.encode()) for name, value in error_headers.items()]
            await _send_json(send, status, exchange.encode_json(error).encode(), extra)
            return status
        except Exception as exc:
            return await self._handled(exc, scope, receive, send)
        await _send_json(send, 200, exchange.encode_json(answer).encode(), _JSON_HEADERS)
        return 200

    async def _handled(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> int:
        """Any other error answers as the app's own handler of its class answers it (a sign-in
        lock's 429, an unexpected error's 500 in the WSO2 shape)."""
        for cls in type(exc).__mro__:
            handler = self.service.exception_handlers.get(cls)
            if handler is not None:
                response = handler(Request(scope, receive), exc)
                if inspect.isawaitable(response):
                    response = await response
                await response(scope, receive, send)
                return int(response.status_code)
        raise exc


def install(app: FastAPI) -> None:
    """Put the front before the app's middleware stack (built on the app's first call)."""
    build_stack = app.build_middleware_stack

    def build() -> ASGIApp:
        return OAuthFront(app, build_stack())

    app.build_middleware_stack = build  # type: ignore[method-assign]
