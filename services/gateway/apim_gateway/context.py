"""What one request carries through the gateway's chain.

The request path (routing, security, subscription, rate limits, backend) fills an ``Exchange``;
policies read and change it. Headers are lists of ``(lower-case name, value)`` str pairs: cheap
to build from ASGI and to send upstream, and policies may hold repeated headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Headers = list[tuple[str, str]]


def header(headers: Headers, name: str) -> str | None:
    """The first value of ``name`` (lower-case), or None."""
    for key, value in headers:
        if key == name:
            return value
    return None


def set_header(headers: Headers, name: str, value: str) -> None:
    """Replace every ``name`` header by one with ``value``."""
    headers[:] = [(k, v) for k, v in headers if k != name]
    headers.append((name, value))


def remove_header(headers: Headers, name: str) -> None:
    headers[:] = [(k, v) for k, v in headers if k != name]


@dataclass(slots=True)
class AuthContext:
    """Who is calling, once authentication and the subscription check have passed."""

    tenant: str = "carbon.super"
    subscriber: str | None = None  # end user (``sub``) or the application owner
    application_id: str | None = None
    application_name: str | None = None
    application_tier: str | None = None
    subscription_tier: str | None = None
    consumer_key: str | None = None
    key_type: str = "PRODUCTION"  # PRODUCTION | SANDBOX
    scopes: frozenset[str] = frozenset()
    claims: dict[str, Any] = field(default_factory=dict)
    auth_type: str = "none"  # oauth2 | api_key | basic_auth | none


@dataclass(slots=True)
class GatewayRequest:
    method: str
    # The path the backend sees: the resource path after ``/{context}/{version}``, percent-encoded
    # as the client sent it (dot-segments resolved; see ``runtime/paths.py``).
    path: str
    query: str
    headers: Headers
    client_ip: str
    # None until someone needs it: bodies stream to the backend unless a policy reads them.
    body: bytes | None = None


@dataclass(slots=True)
class GatewayResponse:
    status: int
    headers: Headers
    body: bytes | None = None


class BackendJwtSigning(Protocol):
    def token_for(
        self, exchange: Exchange, *, ttl: int, user_claims: bool, algorithm: str = "RS256"
    ) -> str: ...


class GatewayServices(Protocol):
    """What a policy may use of the gateway serving the request (the request path's ``Services``)."""

    @property
    def backend_jwt(self) -> BackendJwtSigning: ...


@dataclass(slots=True)
class Exchange:
    request: GatewayRequest
    tenant: str
    api_id: str
    api_context: str
    api_version: str
    resource: str  # the operation's URI template, e.g. /orders/{id}
    path_params: dict[str, str] = field(default_factory=dict)
    auth: AuthContext = field(default_factory=AuthContext)
    response: GatewayResponse | None = None
    # What policies share during one request (e.g. a log policy's message, an error being handled).
    variables: dict[str, Any] = field(default_factory=dict)
    read_request_body: Callable[[], Awaitable[bytes]] | None = None
    # The shared services of the gateway serving this request, e.g.
    # ``exchange.gateway_services.backend_jwt`` (see ``security/backend_jwt.py``); None outside one.
    gateway_services: GatewayServices | None = None

    async def request_body(self) -> bytes:
        """The whole request body, read once and kept."""
        if self.request.body is None:
            self.request.body = await self.read_request_body() if self.read_request_body else b""
        return self.request.body
