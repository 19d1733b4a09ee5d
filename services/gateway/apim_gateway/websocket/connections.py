"""The live connections, checked again against the runtime model several times a second.

What the model learns after a handshake closes the sockets it concerns within a second, on every
gateway (each applies the same events): a revoked token closes 4001; an undeployed or blocked
API, a blocked or removed subscription or a deny rule closes 4006; an idle connection closes 1001
once it has gone without a frame either way for its API's idle timeout (the production endpoint's
``actionDuration``, which bounds an SSE API's silence too) or, for an API that sets none, for
``APIM_GATEWAY_WS_IDLE_TIMEOUT`` when set. Neither is set by default: no idle cut. A connection's
last frame is known to the sweep (``Connection.publish``), not stamped by each frame, so an idle
cut comes up to one sweep interval late, never early. Revocations
reach the model from events and from the key manager's snapshot alike, so the sweep reads the
model rather than each event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from apim_gateway.context import AuthContext
from apim_gateway.errors import GatewayError
from apim_gateway.observability import WS_CONNECTIONS
from apim_gateway.request.deny import deny_api, deny_caller
from apim_gateway.request.lifecycle import check_lifecycle
from apim_gateway.request.subscription import check_subscription
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.security.tokens import TokenVerifier
from apim_gateway.websocket.relay import GOING_AWAY, Connection

logger = logging.getLogger(__name__)

REVOKED = (4001, "The access token has been revoked")
FORBIDDEN = 4006
SWEEP_INTERVAL = 0.25


class Connections:
    def __init__(self, state: RuntimeState, verifier: TokenVerifier, *, idle_timeout: float) -> None:
        self.state = state
        self.verifier = verifier
        self.idle_timeout = idle_timeout
        self.live: set[Connection] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, connection: Connection) -> None:
        self.live.add(connection)
        WS_CONNECTIONS.inc()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._sweep_while_live(), name="gateway-ws-sweep")

    def discard(self, connection: Connection) -> None:
        if connection in self.live:
            self.live.discard(connection)
            WS_CONNECTIONS.dec()

    async def close(self) -> None:
        """At shutdown: every connection goes away (1001)."""
        for connection in list(self.live):
            connection.terminate(GOING_AWAY, "The gateway is shutting down")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sweep_while_live(self) -> None:
        while self.live:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                self.sweep()
            except Exception:  # one bad check must not leave the others unchecked for good
                logger.exception("checking the live WebSocket connections failed")

    def sweep(self) -> None:
        now = time.monotonic()
        for connection in list(self.live):
            connection.publish(now)
            if connection.client_code is not None:
                continue
            refusal = self.refusal(connection)
            if refusal is None:
                idle = connection.handshake.api.websocket_idle_timeout or self.idle_timeout
                if idle and now - connection.last_frame > idle:
                    refusal = (GOING_AWAY, "Idle timeout")
            if refusal is not None:
                connection.terminate(*refusal)

    def refusal(self, connection: Connection) -> tuple[int, str] | None:
        """Why the connection may no longer stay open, or None."""
        handshake = connection.handshake
        state = self.state
        api = state.apis.get(handshake.api.id)
        if api is None:
            return FORBIDDEN, f"The API {handshake.api.name} is no longer deployed"
        verified = handshake.verified
        if verified is not None and self.verifier.revoked(verified):
            return REVOKED
        try:
            check_lifecycle(api)
            deny = state.deny.get(api.tenant)
            if deny is not None:
                deny_api(deny, api, handshake.client_ip)
                deny_caller(deny, handshake.auth)
            if verified is not None:
                check_subscription(state, api, verified, AuthContext(tenant=api.tenant), handshake.client_ip)
        except GatewayError as error:
            return FORBIDDEN, error.description
        return None
