"""Telemetry for every service: OpenTelemetry from the standard ``OTEL_*`` variables, Prometheus
``/metrics`` on a listener of its own (``APIM_METRICS_HOST``/``APIM_METRICS_PORT``), never on the
public ports, and JSON logs carrying trace ids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("apim_http_requests", "HTTP requests served", ["service", "method", "status"])
LATENCY = Histogram(
    "apim_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

_tracing_configured = False
logger = logging.getLogger(__name__)


class _TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else ""
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else ""
        return True


def setup_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_output:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s %(span_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_TraceIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def setup_tracing(service_name: str) -> None:
    """Once per process: a tracer provider with ``OTEL_RESOURCE_ATTRIBUTES``; OTLP export when an
    endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``..._TRACES_ENDPOINT``)."""
    global _tracing_configured
    if _tracing_configured or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    # Resource.create reads OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME itself; ours is the fallback.
    attributes: dict[str, Any] = {}
    if "OTEL_SERVICE_NAME" not in os.environ:
        attributes["service.name"] = service_name
    provider = TracerProvider(resource=Resource.create(attributes))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracing_configured = True


def spans_exported() -> bool:
    """Whether spans reach anyone (an OTLP endpoint is configured): plain-ASGI paths make theirs
    only then."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


class MetricsMiddleware:
    """Counts and times every HTTP request of one service (pure ASGI)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            method = scope["method"]
            REQUESTS.labels(self.service, method, str(status)).inc()
            LATENCY.labels(self.service, method).observe(time.perf_counter() - start)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


_MAX_REQUEST_HEAD = 8192
_READ_TIMEOUT = 5.0


def _plain(status: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def _answer_scrape(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One request per connection: ``GET /metrics`` answers the exposition, anything else 404."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT)
        method, _, rest = head.split(b"\r\n", 1)[0].partition(b" ")
        target = rest.split(b" ", 1)[0].split(b"?", 1)[0]
        if method in (b"GET", b"HEAD") and target == b"/metrics":
            body = generate_latest()
            response = _plain("200 OK", b"" if method == b"HEAD" else body, CONTENT_TYPE_LATEST)
        else:
            response = _plain("404 Not Found", b"Not Found\n")
        writer.write(response)
        await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def metrics_listener(host: str, port: int) -> AsyncIterator[asyncio.Server]:
    """Serves ``/metrics`` on ``host:port`` (port 0: any free port) while the context is open.

    It runs on the service's event loop, so collectors read the process's numbers without locks.
    """
    server = await asyncio.start_server(_answer_scrape, host, port, limit=_MAX_REQUEST_HEAD)
    logger.info("metrics on http://%s:%d/metrics", host, server.sockets[0].getsockname()[1])
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


def instrument(app: FastAPI, service: str) -> None:
    setup_tracing(service)
    # One server span per request: the per-message spans (one per ASGI receive and send, with their
    # header attributes) cost more CPU than a small endpoint's own work and tell nothing the server
    # span does not.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,metrics", exclude_spans=["receive", "send"])
    app.add_middleware(MetricsMiddleware, service=service)
