"""After the answer: metrics, the analytics event and the trace (whose span starts with the request)."""

from __future__ import annotations

import time

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import Scope

from apim_gateway.context import Headers
from apim_gateway.request.analytics_event import RequestRecord
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.services import Services

_TRACE_HEADERS = ("traceparent", "tracestate")


def start_trace(
    tracer: trace.Tracer, scope: Scope, method: str, headers: Headers
) -> tuple[trace.Span, Headers, list[tuple[bytes, bytes]]]:
    """The request's span, continuing the caller's trace; the headers without the caller's trace
    context, and the context to send the backend instead."""
    carrier = {k: v for k, v in headers if k in _TRACE_HEADERS}
    span = tracer.start_span(
        f"{method} {scope['path']}", context=propagate.extract(carrier), kind=SpanKind.SERVER
    )
    outgoing: dict[str, str] = {}
    propagate.inject(outgoing, context=trace.set_span_in_context(span))
    trace_headers = [(k.encode(), v.encode()) for k, v in outgoing.items()]
    return span, [(k, v) for k, v in headers if k not in _TRACE_HEADERS], trace_headers


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body's size its ``Content-Length`` states (None when it states none)."""
    # Looked up in a dict built in C under the two spellings servers send (ASGI's lower case and
    # nginx's); a scan in Python, which costs each answer a line per header, only for any other.
    named = dict(headers)
    value = named.get(b"content-length") or named.get(b"Content-Length")
    if value is None:
        for name, other in headers:
            if name.lower() == b"content-length":
                value = other
                break
        else:
            return None
    return int(value) if value.isdigit() else None


def observe(
    services: Services,
    outcome: Outcome,
    method: str,
    client_ip: str,
    elapsed: float,
    span: trace.Span | None,
) -> None:
    api = outcome.api
    api_label = api.label if api is not None else "-"
    services.metrics.observe(api_label, method, outcome.status, elapsed)
    upstream = outcome.backend_end - outcome.backend_start if outcome.backend_end else None
    # Read once here, for the metrics and for the analytics event the drain builds later.
    request_size = outcome.request_size = content_length(outcome.request_headers)
    response_size = outcome.response_size = content_length(outcome.response_headers)
    services.metrics.exchange(
        api_label,
        upstream,
        max(elapsed - (upstream or 0.0), 0.0),
        request_size or 0,
        response_size or 0,
    )
    if outcome.throttled is not None:
        services.metrics.throttled(api_label, outcome.throttled)
    analytics = services.analytics
    if api is not None and analytics.enabled:
        # The outcome as it is: the drain builds WSO2's event from it (``analytics_event.py``).
        record: RequestRecord = (outcome, method, client_ip, elapsed, time.perf_counter())
        analytics.request(record)
    if span is not None:
        span.set_attribute("http.request.method", method)
        span.set_attribute("http.response.status_code", outcome.status)
        if api is not None:
            span.set_attribute("apim.api.id", api.id)
            span.set_attribute("apim.api.context", api.context)
        if outcome.status >= 500:
            span.set_status(StatusCode.ERROR)
        span.end()
