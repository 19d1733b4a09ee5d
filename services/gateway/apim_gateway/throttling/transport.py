"""How a gateway reaches throttle-sync: an interface at the JSON level, and its HTTP implementation.

Tests connect a client straight to the service's leasing logic by implementing the same two calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
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


def rendezvous_order(names: Sequence[str], key: str) -> list[int]:
    """The replicas in ``key``'s own order (rendezvous hashing): every gateway listing the same
    replicas puts them in the same order for a key, and a replica gone moves only its own keys."""

    def score(i: int) -> bytes:
        return hashlib.blake2b(f"{names[i]}\n{key}".encode(), digest_size=8).digest()

    return sorted(range(len(names)), key=score, reverse=True)


class ReplicaRouter:
    """Several throttle-sync replicas, each key's leases at one of them: the first replica in the
    key's ``rendezvous_order`` not known to be down. With replicas leasing in pools, a key's units
    then sit at one replica, never in one replica's pool while another's gateways are refused
    (docs/decisions/0003). A batch goes out as one call per replica, at once.

    A replica that refuses the connection (stopped or killed: the call never reached it) is taken
    for down for ``down_for`` seconds, and its keys go to the next replica of their order. Any other
    failure raises: a call that may have been applied is never sent again elsewhere, as its returned
    units would count twice. Heartbeats go to the first replica not known to be down."""

    def __init__(
        self,
        transports: Sequence[ThrottleTransport],
        names: Sequence[str],
        *,
        down_for: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(transports) != len(names) or not transports:
            raise ValueError("one name for each throttle-sync replica, and at least one replica")
        self._transports = list(transports)
        self._names = list(names)
        self._down_for = down_for
        self._clock = clock
        self._down_until = [0.0] * len(transports)

    def _up(self, order: Sequence[int], now: float) -> list[int]:
        up = [i for i in order if self._down_until[i] <= now]
        return up or list(order)  # all down: try them anyway, in order

    def _owner(self, key: str, now: float) -> int:
        return self._up(rendezvous_order(self._names, key), now)[0]

    def _refused(self, replica: int) -> bool:
        """Take ``replica`` for down; whether another replica may be up."""
        now = self._clock()
        self._down_until[replica] = now + self._down_for
        return any(until <= now for until in self._down_until)

    async def _first_up(
        self, call: Callable[[ThrottleTransport], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        for replica in self._up(range(len(self._transports)), self._clock()):
            try:
                return await call(self._transports[replica])
            except (httpx.ConnectError, ConnectionRefusedError):
                if not self._refused(replica):
                    raise
        raise ConnectionRefusedError("every throttle-sync replica refused the connection")

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        items = batch["items"]
        if len(self._transports) == 1:  # nothing to route: no key is hashed
            return await self._lease_at(0, batch)
        if not items:
            return await self._first_up(lambda t: t.lease(batch))
        now = self._clock()
        groups: dict[int, list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault(self._owner(str(item["key"]), now), []).append(i)
        if len(groups) == 1:
            return await self._lease_at(next(iter(groups)), batch)
        results = await asyncio.gather(
            *(self._lease_at(r, {**batch, "items": [items[i] for i in idx]}) for r, idx in groups.items()),
            return_exceptions=True,
        )
        grants: list[Any] = [None] * len(items)
        answers: list[dict[str, Any]] = []
        for indices, answer in zip(groups.values(), results, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            answers.append(answer)
            for i, grant in zip(indices, answer["grants"], strict=True):
                grants[i] = grant
        return {
            "activeGateways": max(int(a["activeGateways"]) for a in answers),
            "pooled": all(bool(a.get("pooled", False)) for a in answers),
            "grants": grants,
        }

    async def _lease_at(self, replica: int, batch: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._transports[replica].lease(batch)
        except (httpx.ConnectError, ConnectionRefusedError):
            if not self._refused(replica):
                raise
        return await self.lease(batch)  # its keys go to the next replica of their order

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return await self._first_up(lambda t: t.heartbeat(gateway_id))


class HttpThrottleTransport:
    """Over HTTP with a service token; any failure raises, and the client falls back.

    ``base_url`` may name several throttle-sync replicas, comma-separated: each key's leases go to
    one of them (``ReplicaRouter``).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        auth_headers: Callable[[], Awaitable[dict[str, str]]],
    ) -> None:
        bases = [u.strip() for u in base_url.split(",") if u.strip()]
        self._one = [_HttpReplica(http, b, auth_headers) for b in bases]
        self._router = ReplicaRouter(self._one, [b.rstrip("/") for b in bases])

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        return await self._router.lease(batch)

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return await self._router.heartbeat(gateway_id)


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
