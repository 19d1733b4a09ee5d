"""The ASGI side of WebSocket APIs: handshake, backend handshake, then the relay.

A refusal is an HTTP answer with the gateway's JSON error body, sent through the ASGI WebSocket
Denial Response extension (uvicorn and granian both offer it), so a client sees 401, 403, 429 or
503 and why, not a bare 403.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection

from apim_common.outbound import IPNetwork
from apim_gateway.errors import GatewayError, error_body
from apim_gateway.observability import WEBSOCKET_CONNECTION_EVENT, WEBSOCKET_THROTTLED_EVENT
from apim_gateway.request.analytics_event import (
    StreamRecord,
    throttled_record,
)
from apim_gateway.request.event_limits import EventLimits, event_limits
from apim_gateway.request.graphql import SubscriptionGuard
from apim_gateway.request.services import Services
from apim_gateway.websocket.connections import Connections
from apim_gateway.websocket.handshake import Handshake, admit
from apim_gateway.websocket.relay import Connection
from apim_gateway.websocket.upstream import BackendRefused, open_backend

_DENIAL = "websocket.http.response"


class WebSocketProxy:
    def __init__(self, services: Services, connections: Connections, deny: Sequence[IPNetwork]) -> None:
        self.services = services
        self.connections = connections
        self.deny = deny
        self.max_client_message = services.settings.gateway_ws_max_client_message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        began = time.perf_counter()
        services = self.services
        events: EventLimits | None = None
        try:
            handshake = await admit(services, scope)
            api = handshake.api
            events = event_limits(
                services.rate_limits.limiter,
                services.state.tiers.get(api.tenant),
                api,
                handshake.op,
                handshake.auth,
                handshake.client_ip,
            )
            if events is not None:
                await events.admit_connection()
            backend_start = time.perf_counter()
            upstream = await open_backend(services, handshake, self.deny)
            backend_end = time.perf_counter()
        except GatewayError as error:
            body = error_body(error.code, error.message, error.description)
            headers = [(b"content-type", b"application/json"), *error.headers]
            await _refuse(scope, send, error.status, body, headers)
        except BackendRefused as refused:
            await _refuse(scope, send, refused.status, refused.body, refused.headers)
        else:
            await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
            latencies = (time.perf_counter() - began, backend_end - backend_start, backend_start - began)
            await self._relay(handshake, upstream, receive, send, events, scope["headers"], latencies)
            return
        if events is not None:  # admitted by a bandwidth limit, then refused: nothing more to count
            await events.closed()

    async def _relay(
        self,
        handshake: Handshake,
        upstream: ClientConnection,
        receive: Receive,
        send: Send,
        events: EventLimits | None,
        headers: list[tuple[bytes, bytes]],
        latencies: tuple[float, float, float],
    ) -> None:
        api = handshake.api
        guard = (
            None
            if api.graphql is None
            else SubscriptionGuard(self.services, api, api.graphql, handshake.auth, upstream.subprotocol)
        )
        connection = Connection(
            handshake,
            upstream,
            receive,
            send,
            events,
            self.max_client_message,
            guard.check if guard is not None else None,
        )
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)
            _record(self.services, connection, headers, latencies)
            if events is not None:
                await events.closed()


async def _refuse(
    scope: Scope, send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    if _DENIAL in (scope.get("extensions") or {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # the server answers 403 alone
        await send({"type": "websocket.close", "code": 1008})


def _record(
    services: Services,
    connection: Connection,
    headers: list[tuple[bytes, bytes]],
    latencies: tuple[float, float, float],
) -> None:
    """The connection's event, and the fault event of the frame a limit refused, if one was."""
    analytics = services.analytics
    if not analytics.enabled:
        return
    handshake = connection.handshake
    api, op, auth = handshake.api, handshake.op, handshake.auth
    destination = (api.websocket or {}).get(auth.key_type)
    if connection.throttled is not None:
        analytics.record(
            throttled_record(
                services.events,
                WEBSOCKET_THROTTLED_EVENT,
                api,
                op.verb,
                op.target,
                auth,
                handshake.client_ip,
                headers,
                connection.throttled,
                destination=destination,
                properties={"direction": connection.throttled_direction},
            )
        )
    analytics.record(
        StreamRecord(
            services.events,
            WEBSOCKET_CONNECTION_EVENT,
            api,
            op.verb,
            op.target,
            auth,
            handshake.client_ip,
            headers,
            at=connection.started,
            proxy_status=101,
            target_status=101,
            latencies=latencies,
            destination=destination,
            properties={
                "framesFromClient": connection.upstream_frames,
                "bytesFromClient": connection.upstream_bytes,
                "framesToClient": connection.downstream_frames,
                "bytesToClient": connection.downstream_bytes,
                "requestSize": connection.upstream_bytes,
                "responseSize": connection.downstream_bytes,
                "durationMs": round((time.time() - connection.started) * 1000),
                "closeCode": connection.client_code,
                "closeReason": connection.client_reason,
            },
        )
    )
