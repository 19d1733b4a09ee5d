"""How a gateway reaches throttle-sync: an interface at the JSON level, and its HTTP implementation.

Tests connect a client straight to the service's leasing logic by implementing the same two calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

API_PREFIX = "/api/am/throttle/v1"


class ThrottleTransport(Protocol):
    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        """POST /leases: ``{gatewayId, items: [...]}`` -> ``{activeGateways, grants: [...]}``."""
        ...

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        """POST /gateways/{id}/heartbeat -> ``{gatewayId, activeGateways, ttlSeconds}``."""
        ...


class FailoverTransport:
    """Several throttle-sync replicas: calls one, and moves to the next when it refuses the
    connection (a replica stopped or killed), which is safe because the request never reached
    it. Any other failure raises: a batch that may have been applied is never sent again
    elsewhere, as its returned units would count twice."""

    def __init__(self, transports: list[ThrottleTransport]) -> None:
        self._transports = transports
        self._current = 0

    async def _call(self, call: Callable[[ThrottleTransport], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        for attempt in range(len(self._transports)):
            try:
                return await call(self._transports[self._current])
            except (httpx.ConnectError, ConnectionRefusedError):
                if attempt == len(self._transports) - 1:
                    raise
                self._current = (self._current + 1) % len(self._transports)
        raise ConnectionRefusedError("no throttle-sync replica configured")

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        return await self._call(lambda t: t.lease(batch))

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return await self._call(lambda t: t.heartbeat(gateway_id))


class HttpThrottleTransport:
    """Over HTTP with a service token; any failure raises, and the client falls back.

    ``base_url`` may name several throttle-sync replicas, comma-separated (``FailoverTransport``).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        auth_headers: Callable[[], Awaitable[dict[str, str]]],
    ) -> None:
        bases = [u.strip() for u in base_url.split(",") if u.strip()]
        self._one = [_HttpReplica(http, b, auth_headers) for b in bases]
        self._failover = FailoverTransport(list(self._one))

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        return await self._failover.lease(batch)

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return await self._failover.heartbeat(gateway_id)


class _HttpReplica:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, auth_headers: Callable[[], Awaitable[dict[str, str]]]
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/") + API_PREFIX
        self._auth_headers = auth_headers

    async def _post(self, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        response = await self._http.post(self._base + path, json=body, headers=await self._auth_headers())
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        return await self._post("/leases", batch)

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return await self._post(f"/gateways/{gateway_id}/heartbeat", None)
