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


class HttpThrottleTransport:
    """Over HTTP with a service token; any failure raises, and the client falls back."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        auth_headers: Callable[[], Awaitable[dict[str, str]]],
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
