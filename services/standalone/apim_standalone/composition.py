"""Composes the services into one control-plane ASGI app (dispatch by path prefix) and a gateway.

No service imports another; this module is the only place that knows them all.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from apim_admin.app import create_app as create_admin
from apim_admin.settings import Settings as AdminSettings
from apim_analytics.app import create_app as create_analytics
from apim_analytics.settings import Settings as AnalyticsSettings
from apim_common import crypto_policy
from apim_common.events.bus import InProcessBus
from apim_common.process import freeze_startup_objects
from apim_devportal.app import create_app as create_devportal
from apim_devportal.settings import Settings as DevportalSettings
from apim_gateway.app import Gateway
from apim_gateway.app import create_app as create_gateway
from apim_gateway.settings import Settings as GatewaySettings
from apim_key_manager.app import create_app as create_key_manager
from apim_key_manager.settings import PORTALS, PORTALS_CLIENT_ID
from apim_key_manager.settings import Settings as KeyManagerSettings
from apim_portals.app import create_app as create_portals
from apim_portals.settings import Settings as PortalsSettings
from apim_publisher.app import create_app as create_publisher
from apim_publisher.settings import Settings as PublisherSettings
from apim_standalone.settings import StandaloneSettings
from apim_throttle_sync.app import create_app as create_throttle_sync
from apim_throttle_sync.settings import Settings as ThrottleSyncSettings


class ControlPlane:
    """Routes each request to the service owning the longest matching path prefix."""

    def __init__(self, services: Sequence[FastAPI], portals: FastAPI | None = None) -> None:
        self.services = list(services)
        # The web portals: routed and started like a service, reported apart from the REST services.
        self.portals = portals
        self.apps = [*self.services, *([portals] if portals is not None else [])]
        routes: list[tuple[str, ASGIApp]] = []
        for service in self.apps:
            routes.extend((prefix, service) for prefix in service.state.path_prefixes)
        self._routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)

    def _route(self, path: str) -> ASGIApp | None:
        if path.startswith("/t/"):
            # Tenant-qualified paths (/t/{tenant}/api/am/...) belong to the service of the rest.
            _, _, rest = path[3:].partition("/")
            path = "/" + rest
        for prefix, app in self._routes:
            if path == prefix or path.startswith(prefix + "/"):
                return app
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return  # the runner drives lifespans itself
        path: str = scope["path"]
        if scope["type"] == "http" and path == "/health":
            health: dict[str, Any] = {
                "status": "UP",
                "services": [s.state.service_name for s in self.services],
                "cryptoProvider": str(crypto_policy.active().provider),
            }
            if self.portals is not None:
                health["portals"] = [p.strip("/") for p in self.portals.state.path_prefixes]
            body = json.dumps(health).encode()
            await _respond(send, 200, body, b"application/json")
            return
        app = self._route(path)
        if app is None:
            body = json.dumps(
                {
                    "code": 404,
                    "message": "Not Found",
                    "description": f"No service serves {path}",
                    "moreInfo": "",
                    "error": [],
                }
            ).encode()
            await _respond(send, 404, body, b"application/json")
            return
        await app(scope, receive, send)


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class Platform:
    control_plane: ControlPlane
    gateway: Gateway
    bus: InProcessBus

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start every service (key manager first), then the shared bus; stop in reverse."""
        async with contextlib.AsyncExitStack() as stack:
            for service in self.control_plane.apps:
                await stack.enter_async_context(service.router.lifespan_context(service))
            await stack.enter_async_context(self.gateway.lifespan())
            stack.callback(freeze_startup_objects())
            await self.bus.start()
            stack.push_async_callback(self.bus.stop)
            yield


def _urls(control_url: str) -> dict[str, Any]:
    """In one process every service answers on the control-plane port, and the runner alone opens
    the metrics listener (one registry per process)."""
    names = ("key_manager_url", "publisher_url", "devportal_url", "admin_url", "throttle_sync_url")
    return {**dict.fromkeys(names, control_url), "metrics_port": None}


def _service_env(settings: StandaloneSettings, name: str, control_url: str) -> dict[str, Any]:
    return {"database_url": f"sqlite+aiosqlite:///{settings.data_dir / name}.db", **_urls(control_url)}


def _portals(url: str, gateway_url: str) -> FastAPI:
    return create_portals(
        PortalsSettings(
            **_urls(url),
            portal_url=url,
            gateway_url=gateway_url,
            cookie_secure=url.startswith("https://"),
        )
    )


def build_platform(
    settings: StandaloneSettings, *, control_url: str | None = None, gateway_url: str | None = None
) -> Platform:
    """``control_url`` and ``gateway_url`` are where users and services reach the two ports (the real
    ports once they are bound)."""
    url = control_url or settings.control_plane_url()
    gateway = gateway_url or settings.gateway_url()
    bus = InProcessBus()
    # The portals sign users in with the key manager's first-party client, at this installation's URL.
    redirects = [f"{url}/{portal}/auth/callback" for portal in PORTALS]
    key_manager_env = {
        **_service_env(settings, "key_manager", url),
        "first_party_clients": {PORTALS_CLIENT_ID: redirects},
    }
    services = [
        create_key_manager(KeyManagerSettings(**key_manager_env), bus=bus),
        # The monetization usage publisher reads the same analytics rollups.
        create_admin(AdminSettings(**_service_env(settings, "admin", url), analytics_url=url), bus=bus),
        create_publisher(PublisherSettings(**_service_env(settings, "publisher", url)), bus=bus),
        create_devportal(
            # Analytics runs in this process too: a subscription's usage is read from its rollups.
            DevportalSettings(
                **_service_env(settings, "devportal", url), gateway_url=gateway, analytics_url=url
            ),
            bus=bus,
        ),
        create_throttle_sync(ThrottleSyncSettings(**_urls(url)), bus=bus),
        create_analytics(AnalyticsSettings(**_service_env(settings, "analytics", url)), bus=bus),
    ]
    gateway_app = create_gateway(GatewaySettings(**_urls(url)), bus=bus)
    return Platform(ControlPlane(services, _portals(url, gateway)), gateway_app, bus)
