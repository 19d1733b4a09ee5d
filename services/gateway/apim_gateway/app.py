"""The gateway: a plain ASGI app (no framework on the request path).

It owns nothing persistent; what it serves is built from deployed revisions and events.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Receive, Scope, Send

from apim_common.app import bus_from_settings
from apim_common.events.bus import EventBus
from apim_common.telemetry import setup_tracing
from apim_gateway.errors import NO_MATCHING_RESOURCE, send_error
from apim_gateway.settings import Settings

logger = logging.getLogger(__name__)

_HEALTH_BODY = b'{"status":"UP","service":"gateway"}'


class Gateway:
    def __init__(self, settings: Settings, *, bus: EventBus | None = None) -> None:
        self.settings = settings
        self._shared_bus = bus
        self.bus: EventBus | None = bus

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        setup_tracing("gateway")
        async with contextlib.AsyncExitStack() as stack:
            if self._shared_bus is None:
                self.bus = bus_from_settings(self.settings)
                await self.bus.start()
                stack.push_async_callback(self.bus.stop)
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == "/health":
            await _send_plain(send, 200, _HEALTH_BODY, b"application/json")
            return
        if path == "/metrics":
            await _send_plain(send, 200, generate_latest(), CONTENT_TYPE_LATEST.encode())
            return
        code, message = NO_MATCHING_RESOURCE
        await send_error(send, 404, code, message, f"No API is deployed for {scope['method']} {path}")

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
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await stack.aclose()
        await send({"type": "lifespan.shutdown.complete"})


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
