"""An API's backend endpoints: plain, load-balanced (round robin) or failover, each behind a
circuit breaker; parsed once from ``endpointConfig`` when a revision is deployed.

WSO2's ``endpointConfig``::

    {"endpoint_type": "http" | "load_balance" | "failover",
     "production_endpoints": {"url": ..., "config": {"actionDuration": ms}} or a list of them,
     "sandbox_endpoints": ..., "production_failovers": [...], "sandbox_failovers": [...],
     "endpoint_security": {"production": {...}, "sandbox": {...}}}

A group carries its side's endpoint security (``backends/security.py``), or None.

``try_order()`` gives the endpoints to try for one request, best first: a load-balanced group
starts at the next member in turn, a failover group at its primary; endpoints whose breaker is
open come last (tried only when nothing else is left, so an all-open group still gets a probe).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apim_gateway.backends.security import BackendCredentials, BackendSecurity
from apim_gateway.policies.builtin.routing import split_url
from apim_gateway.upstream import Origin

PRODUCTION = "PRODUCTION"
SANDBOX = "SANDBOX"


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; after ``open_for`` seconds one trial is let
    through (half-open): a success closes it, a failure opens it again."""

    __slots__ = ("failures", "open_for", "open_until", "threshold")

    def __init__(self, threshold: int, open_for: float) -> None:
        self.threshold = threshold
        self.open_for = open_for
        self.failures = 0
        self.open_until = 0.0

    def available(self, now: float) -> bool:
        return self.failures < self.threshold or now >= self.open_until

    def success(self) -> None:
        self.failures = 0

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = now + self.open_for


@dataclass(slots=True)
class Endpoint:
    url: str
    origin: Origin
    base_path: str
    timeout: float
    breaker: CircuitBreaker


class EndpointGroup:
    __slots__ = ("_next", "endpoints", "kind", "security")

    def __init__(
        self, kind: str, endpoints: Sequence[Endpoint], security: BackendCredentials | None = None
    ) -> None:
        self.kind = kind
        self.endpoints = tuple(endpoints)
        self.security = security
        self._next = 0

    def try_order(self) -> Sequence[Endpoint]:
        endpoints = self.endpoints
        if len(endpoints) == 1:
            return endpoints
        if self.kind == "load_balance":
            start = self._next % len(endpoints)
            self._next = start + 1
            endpoints = endpoints[start:] + endpoints[:start]
        now = time.monotonic()
        closed = [e for e in endpoints if e.breaker.available(now)]
        if len(closed) == len(endpoints):
            return endpoints
        return closed + [e for e in endpoints if not e.breaker.available(now)]


def _entries(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def _endpoint(raw: Mapping[str, Any], default_timeout: float, threshold: int, open_for: float) -> Endpoint:
    url = str(raw["url"])
    origin, base_path = split_url(url)
    config = raw.get("config") or {}
    timeout = default_timeout
    if isinstance(config, Mapping) and config.get("actionDuration"):
        timeout = float(config["actionDuration"]) / 1000
    suspend = open_for
    if isinstance(config, Mapping) and config.get("suspendDuration"):
        suspend = float(config["suspendDuration"]) / 1000
    return Endpoint(url, origin, base_path, timeout, CircuitBreaker(threshold, suspend))


def endpoint_groups(
    config: Mapping[str, Any] | None,
    *,
    default_timeout: float,
    failure_threshold: int,
    open_for: float,
    security: BackendSecurity | None = None,
) -> dict[str, EndpointGroup]:
    """Per key type (PRODUCTION, SANDBOX), the group of endpoints; a key type without any is absent.

    ``ValueError`` when a side's endpoint security cannot be honoured (no ``security`` to open its
    secrets, or a secret sealed under another key): serving without it would call the backend
    without its credentials."""
    if not config:
        return {}
    kind = str(config.get("endpoint_type") or "http")
    sides = config.get("endpoint_security")
    sides = sides if isinstance(sides, Mapping) else {}
    groups: dict[str, EndpointGroup] = {}
    for key_type, prefix in ((PRODUCTION, "production"), (SANDBOX, "sandbox")):
        entries = [e for e in _entries(config.get(f"{prefix}_endpoints")) if e.get("url")]
        if kind == "failover":
            entries += [e for e in _entries(config.get(f"{prefix}_failovers")) if e.get("url")]
        elif kind != "load_balance":
            entries = entries[:1]
        if entries:
            endpoints = [_endpoint(e, default_timeout, failure_threshold, open_for) for e in entries]
            side = sides.get(prefix)
            credentials = None
            if isinstance(side, Mapping) and side.get("enabled"):
                if security is None:
                    raise ValueError("endpoint security needs the gateway's APIM_SECRET_KEY")
                credentials = security.compile(side)
            groups[key_type] = EndpointGroup(kind, endpoints, credentials)
    return groups
