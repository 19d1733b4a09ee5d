"""The one way a control-plane service becomes a FastAPI app.

``build_service_app`` wires what every service has: settings, the error shape, the database and
its migrations, the event bus and outbox relay, the token verifier, telemetry (``/metrics`` on its
own listener when ``APIM_METRICS_PORT`` is set), ``/health`` and OpenAPI documents under the
service's own prefix.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import MetaData, Table
from starlette.responses import JSONResponse

from apim_common import crypto_policy
from apim_common.db import Database, install_database_error_handlers
from apim_common.errors import install_error_handlers
from apim_common.events.backends import bus_from_settings
from apim_common.events.bus import EventBus
from apim_common.events.outbox import OutboxRelay
from apim_common.jwt import JWKSVerifier, http_jwks_fetcher
from apim_common.migrations import upgrade
from apim_common.outbound import OutboundPolicy, guarded_client
from apim_common.settings import ServiceSettings
from apim_common.telemetry import instrument, metrics_listener

Extension = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# No native spans, metrics or logs of FastAPI's, and no exporters of its own added from ``OTEL_*``
# (with ``FASTAPI_OTEL_AUTO_CONFIGURE=true`` it added one to ``setup_tracing``'s provider, which
# already exports: every span went out twice).
NATIVE_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,
}


@dataclass
class ServiceSpec:
    """What makes one service different from the others."""

    name: str
    title: str
    # Path prefixes the service owns; the first one holds its OpenAPI document and docs.
    prefixes: Sequence[str]
    routers: Sequence[APIRouter] = ()
    # The package whose ``migrations`` folder builds this service's schema, and that schema.
    package: str | None = None
    metadata: MetaData | None = None
    outbox: Table | None = None
    # Started after the common parts, stopped before them (seeding, consumers, caches).
    extensions: Sequence[Extension] = field(default_factory=list)
    version: str = "0.1.0"


def build_service_app(
    spec: ServiceSpec, settings: ServiceSettings, *, bus: EventBus | None = None
) -> FastAPI:
    """``bus`` is shared when several services run in one process; the caller then starts and stops it."""
    prefix = spec.prefixes[0]
    policy = crypto_policy.activate(settings.crypto_provider)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            state: dict[str, Any] = {"settings": settings}
            app.state.settings = settings
            if spec.package is not None:
                database = Database(settings.database_url, echo=settings.database_echo)
                stack.push_async_callback(database.dispose)
                await upgrade(database.engine, spec.package)
                app.state.database = database
            http = httpx.AsyncClient(timeout=10.0, verify=policy.httpx_verify())
            stack.push_async_callback(http.aclose)
            app.state.http = http
            # Fetches a user aims (a URL in a request) go through the outbound guard, never `http`.
            outbound = guarded_client(OutboundPolicy.from_settings(settings), crypto=policy)
            stack.push_async_callback(outbound.aclose)
            app.state.outbound = outbound
            app.state.token_verifier = JWKSVerifier(
                http_jwks_fetcher(http, f"{settings.key_manager_url.rstrip('/')}/oauth2/jwks"),
                issuer=settings.token_issuer,
            )
            if settings.metrics_port is not None:
                metrics = await stack.enter_async_context(
                    metrics_listener(settings.metrics_host, settings.metrics_port)
                )
                app.state.metrics_port = metrics.sockets[0].getsockname()[1]
            event_bus = bus if bus is not None else bus_from_settings(settings)
            app.state.bus = event_bus
            for extension in spec.extensions:
                await stack.enter_async_context(extension(app))
            if bus is None:
                await event_bus.start()
                stack.push_async_callback(event_bus.stop)
            if spec.outbox is not None:
                relay = OutboxRelay(
                    app.state.database, spec.outbox, event_bus, poll_interval=settings.outbox_poll_interval
                )
                await relay.start()
                stack.push_async_callback(relay.stop)
                app.state.outbox_relay = relay
            yield state

    app = FastAPI(
        # Telemetry is ``apim_common.telemetry``'s (OpenTelemetry's FastAPI instrumentation and the
        # Prometheus middleware). FastAPI's native telemetry stood aside whenever it found that
        # instrumentation, but looked for it, and at three OpenTelemetry providers, on every request.
        telemetry=NATIVE_TELEMETRY_OFF,
        title=spec.title,
        version=spec.version,
        lifespan=lifespan,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
    )
    app.state.service_name = spec.name
    app.state.path_prefixes = tuple(spec.prefixes)
    install_error_handlers(app)
    install_database_error_handlers(app)

    async def health() -> JSONResponse:
        return JSONResponse(
            {"status": "UP", "service": spec.name, "cryptoProvider": str(settings.crypto_provider)}
        )

    app.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{prefix}/health", health, methods=["GET"], include_in_schema=False)
    for router in spec.routers:
        app.include_router(router)
    instrument(app, spec.name)
    return app
