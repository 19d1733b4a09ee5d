"""The gateway: a plain ASGI app (no framework on the request path).

It owns nothing persistent; what it serves is built from deployed revisions and events
(``sync/``) into the in-memory model (``runtime/``), and every request walks the request path
(``request/``), which reaches the shared services through the ``Services`` built here.
Besides the APIs it answers ``/health`` and the backend-JWT keys at ``/jwks`` and
``/t/{tenant}/jwks``; ``/metrics`` has a listener of its own (``APIM_METRICS_PORT``), off the
traffic port.

Long-lived clients, created once: the upstream client (also bound for the policies), an httpx
client for the control plane, key managers' JWKS and Basic credential checks, the rate limiter
(throttle-sync's client is started in the lifespan), the bus consumer and the analytics drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator

import httpx
from starlette.types import Receive, Scope, Send

from apim_common import crypto_policy
from apim_common.events.backends import bus_from_settings
from apim_common.events.bus import EventBus
from apim_common.outbound import OutboundPolicy, guarded_client, parse_networks
from apim_common.process import freeze_startup_objects
from apim_common.revocations import http_snapshot_fetcher
from apim_common.sealed import ENDPOINT_SECRETS, SecretBox
from apim_common.service_auth import ServiceTokenProvider
from apim_common.telemetry import metrics_listener, setup_tracing
from apim_gateway.backends.security import BackendSecurity
from apim_gateway.bottrap import BotTrap, parse_trap_paths
from apim_gateway.graphql import QueryAnalyser
from apim_gateway.observability import Analytics, ElkLog, Metrics
from apim_gateway.policies import PolicyServices
from apim_gateway.ratelimit import Limiter, LocalLimiter, RateLimits
from apim_gateway.request import Pipeline, Services
from apim_gateway.request.analytics_event import EventBuilder
from apim_gateway.runtime.apis import BackendSettings
from apim_gateway.runtime.response_cache import ResponseCache
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.security.backend_jwt import BackendJwtSigner
from apim_gateway.security.basic_auth import BasicAuthenticator
from apim_gateway.security.mtls import ClientCertificateReader
from apim_gateway.security.tokens import TokenVerifier
from apim_gateway.settings import Settings
from apim_gateway.sync import ControlPlane, Syncer
from apim_gateway.sync.introspection import PATH as STATE_PATH
from apim_gateway.sync.introspection import StateEndpoint
from apim_gateway.throttling import HttpThrottleTransport, ThrottleClient
from apim_gateway.upstream import UpstreamClient
from apim_gateway.websocket import Connections, WebSocketProxy
from apim_gateway.websub import create_hub

logger = logging.getLogger(__name__)


def _health_body(settings: Settings) -> bytes:
    return f'{{"status":"UP","service":"gateway","cryptoProvider":"{settings.crypto_provider}"}}'.encode()


_JSON = b"application/json"


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        bus: EventBus | None = None,
        http: httpx.AsyncClient | None = None,
        limiter: Limiter | None = None,
        backend_jwt: BackendJwtSigner | None = None,
    ) -> None:
        """``bus``: shared with the control plane (one process; it is started by the caller).
        ``http``: the client for control-plane and JWKS calls (tests pass one on a fake)."""
        self.settings = settings
        self.gateway_id = settings.gateway_id or f"gw-{uuid.uuid4().hex[:12]}"
        self.crypto = crypto_policy.activate(settings.crypto_provider)
        self._health_body = _health_body(settings)
        self._shared_bus = bus
        self.bus: EventBus | None = bus
        self._given_http = http
        self.http: httpx.AsyncClient = http or httpx.AsyncClient(
            timeout=10.0, verify=self.crypto.httpx_verify()
        )
        self.policy_services = PolicyServices()
        # Backend token endpoints are set by publishers: reached through the outbound guard only.
        self.backend_tokens = guarded_client(OutboundPolicy.from_settings(settings), crypto=self.crypto)
        self.state = RuntimeState(
            policy_services=self.policy_services,
            response_cache=ResponseCache(
                max_entries=settings.gateway_response_cache_max_entries,
                max_bytes=settings.gateway_response_cache_max_bytes,
                max_entry_bytes=settings.gateway_response_cache_max_entry_bytes,
            ),
            environment=settings.environment,
            default_vhost=settings.gateway_default_vhost,
            backend=BackendSettings(
                default_timeout=settings.gateway_backend_timeout,
                failure_threshold=settings.gateway_circuit_failures,
                open_for=settings.gateway_circuit_open_seconds,
                security=BackendSecurity(SecretBox(settings.secret(), ENDPOINT_SECRETS), self.backend_tokens),
            ),
        )
        if backend_jwt is None:
            key_file = settings.backend_jwt_private_key_file
            backend_jwt = (
                BackendJwtSigner.from_pem_file(key_file) if key_file else BackendJwtSigner.generate()
            )
        self.backend_jwt = backend_jwt
        self.upstream = UpstreamClient(
            connect_timeout=settings.gateway_connect_timeout,
            deny=parse_networks(settings.gateway_endpoint_deny),
        )
        self._given_limiter = limiter
        self.rate_limits = RateLimits(limiter or LocalLimiter())
        # A key manager's JWKS URL is set by a tenant administrator: fetched through the outbound
        # guard, unless it is the platform's own key manager (tests pass ``http`` for every call).
        self.outbound: httpx.AsyncClient | None = (
            None
            if http is not None
            else guarded_client(OutboundPolicy.from_settings(settings), crypto=self.crypto)
        )
        self.verifier = TokenVerifier(
            self.state,
            self.http,
            cache_size=settings.gateway_token_cache_size,
            jwks_http=self.outbound,
            trusted_jwks_origin=settings.key_manager_url,
        )
        self.metrics = Metrics()
        # Where /metrics answers once started (APIM_METRICS_PORT may be 0: any free port).
        self.metrics_port: int | None = None
        self.events = EventBuilder(self.state, self.gateway_id)
        self.analytics = Analytics(
            bus,
            size=settings.gateway_analytics_queue_size,
            gateway_id=self.gateway_id,
            enabled=settings.gateway_analytics_enabled,
            elk_log=ElkLog(settings.gateway_analytics_elk_log_file)
            if settings.gateway_analytics_elk_log
            else None,
            requests=self.events,
            gather_seconds=settings.gateway_analytics_batch_seconds,
        )
        self.tokens = ServiceTokenProvider(
            self.http, f"{settings.key_manager_url.rstrip('/')}/oauth2/token", settings.secret()
        )
        self.syncer = Syncer(
            self.state,
            ControlPlane(
                self.http,
                self.tokens,
                publisher_url=settings.publisher_url,
                devportal_url=settings.devportal_url,
                admin_url=settings.admin_url,
                environment=settings.environment,
            ),
            cache_file=settings.gateway_snapshot_cache,
            retry_interval=settings.gateway_snapshot_retry,
            revocations=http_snapshot_fetcher(
                self.http, settings.key_manager_url, settings.secret(), tokens=self.tokens
            ),
        )
        self.state_endpoint = StateEndpoint(
            self.syncer, self.http, settings.key_manager_url, settings.token_issuer
        )
        self.services = Services(
            settings=settings,
            state=self.state,
            verifier=self.verifier,
            basic_auth=BasicAuthenticator(self.http, self.tokens, settings.key_manager_url),
            rate_limits=self.rate_limits,
            upstream=self.upstream,
            backend_jwt=backend_jwt,
            policies=self.policy_services,
            metrics=self.metrics,
            analytics=self.analytics,
            events=self.events,
            client_certificates=ClientCertificateReader.of(
                settings.gateway_client_cert_header,
                settings.gateway_client_cert_format,
                settings.gateway_trusted_proxies,
            ),
            graphql=QueryAnalyser(
                max_entries=settings.gateway_graphql_cache_size,
                max_tokens=settings.gateway_graphql_max_tokens,
                max_query_bytes=settings.gateway_graphql_max_query_bytes,
            ),
        )
        self.pipeline = Pipeline(self.services)
        # Bot traps: answered 404 before routing and recorded for the Admin API (``bottrap/``).
        self.bot_trap = BotTrap(
            parse_trap_paths(settings.gateway_bot_trap_paths),
            self.gateway_id,
            settings.gateway_bot_trap_max_per_second,
        )
        # WebSocket APIs: the live connections, closed when the model withdraws what admitted them.
        self.connections = Connections(
            self.state, self.verifier, idle_timeout=settings.gateway_ws_idle_timeout
        )
        self.websocket = WebSocketProxy(
            self.services, self.connections, parse_networks(settings.gateway_endpoint_deny)
        )
        # WebSub APIs: the hub, its subscribers shared with every gateway through events.
        self.websub = create_hub(self.services, self.http, self.tokens)

    @property
    def consumer_group(self) -> str:
        """Each gateway instance consumes every event: its own group on the bus."""
        return f"gateway-{self.settings.environment}-{self.gateway_id}"

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        setup_tracing("gateway")
        tracing = self.settings.gateway_tracing
        if tracing or (tracing is None and _tracing_exported()):
            from opentelemetry import trace

            self.pipeline.tracer = trace.get_tracer("apim_gateway")
        async with contextlib.AsyncExitStack() as stack:
            if self.settings.metrics_port is not None:
                metrics = await stack.enter_async_context(
                    metrics_listener(self.settings.metrics_host, self.settings.metrics_port)
                )
                self.metrics_port = metrics.sockets[0].getsockname()[1]
            if self._given_http is None:
                stack.push_async_callback(self.http.aclose)
            stack.push_async_callback(self.upstream.aclose)
            if self.outbound is not None:
                stack.push_async_callback(self.outbound.aclose)
            stack.push_async_callback(self.backend_tokens.aclose)
            stack.callback(self.services.graphql.close)
            policies = self.services.policies
            policies.bind(self.upstream)
            stack.push_async_callback(policies.aclose)
            stack.callback(policies.bind, None)
            if self._given_limiter is None and self.settings.gateway_throttle_mode == "shared":
                client = ThrottleClient(
                    HttpThrottleTransport(self.http, self.settings.throttle_sync_url, self.tokens.headers),
                    gateway_id=self.gateway_id,
                )
                await client.start()
                stack.push_async_callback(client.close)
                self.rate_limits.limiter = client
            bus = self._shared_bus
            self.syncer.load_cache()
            if bus is None:
                bus = self.bus = bus_from_settings(self.settings)
                self.syncer.subscribe(bus, self.consumer_group)
                self.websub.subscribe(bus, f"{self.consumer_group}-websub")
                await bus.start()
                stack.push_async_callback(bus.stop)
            else:
                self.syncer.subscribe(bus, self.consumer_group)
                self.websub.subscribe(bus, f"{self.consumer_group}-websub")
            self.analytics.start(bus)
            stack.push_async_callback(self.analytics.stop)
            self.bot_trap.start(bus)
            stack.push_async_callback(self.bot_trap.stop)
            self.syncer.start()
            stack.push_async_callback(self.syncer.stop)
            stack.push_async_callback(self.connections.close)
            self.websub.start()
            stack.push_async_callback(self.websub.stop)
            # In one process with the control plane (a shared bus) the control plane starts
            # answering after this returns: waiting would only delay the start.
            wait = self.settings.gateway_snapshot_wait if self._shared_bus is None else 0.0
            if wait and not self.syncer.ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.syncer.ready.wait(), wait)
                if not self.syncer.ready.is_set():
                    logger.warning("no snapshot yet; serving nothing until the control plane answers")
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == "/health":
                await _send_plain(send, 200, self._health_body, _JSON)
            elif path == "/jwks" or (
                path.startswith("/t/") and path.endswith("/jwks") and path.count("/") == 3
            ):
                await _send_plain(send, 200, self.backend_jwt.jwks_body, _JSON)
            elif path == STATE_PATH:
                await self.state_endpoint(scope, send)
            elif (trapped := self.bot_trap.tenant_of(path)) is not None:
                await self.bot_trap(scope, receive, send, trapped)
            elif not (self.websub.claims(path) and await self.websub(scope, receive, send)):
                await self.pipeline(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        stack = contextlib.AsyncExitStack()
        try:
            await stack.enter_async_context(self.lifespan())
        except Exception as exc:
            logger.exception("gateway failed to start")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        stack.callback(freeze_startup_objects())
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await stack.aclose()
        await send({"type": "lifespan.shutdown.complete"})


def _tracing_exported() -> bool:
    """Spans are made only when someone receives them (an OTLP endpoint is configured)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


async def _send_plain(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> Gateway:
    return Gateway(settings or Settings(), bus=bus)
