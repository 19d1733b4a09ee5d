"""CORS: answer preflight requests and add the Access-Control-* headers to responses.

Attach it to both flows: in the request flow it answers a preflight (``OPTIONS`` with ``Origin``
and ``Access-Control-Request-Method``) itself, 204 without calling the backend; in the response
flow it adds ``Access-Control-Allow-Origin`` (and credentials / exposed headers) for an allowed
origin. A disallowed origin gets no Access-Control-* headers, so the browser refuses. ``*``
together with credentials is refused when the policy is attached (and here when a revision is
compiled): it would let any site call the API with its visitors' credentials.
The request path must route a preflight ``OPTIONS`` to the API's chain even when the API
defines no OPTIONS operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apim_gateway.context import Exchange, Headers, header, set_header
from apim_gateway.policies.base import Reply, register
from apim_gateway.policies.builtin._common import BuiltinPolicy


def _items(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _add_vary(headers: Headers, name: str) -> None:
    current = header(headers, "vary")
    if current is None:
        headers.append(("vary", name))
    elif current.strip() != "*" and name.lower() not in (v.strip().lower() for v in current.split(",")):
        set_header(headers, "vary", f"{current}, {name}")


@register
class Cors(BuiltinPolicy):
    name = "CORS"

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters)
        origins = _items(self.values["accessControlAllowOrigins"])
        if not origins:
            raise self.config_error("accessControlAllowOrigins", "name at least one origin, or *")
        self.any_origin = "*" in origins
        self.origins = frozenset(o.rstrip("/").lower() for o in origins if o != "*")
        self.methods = ",".join(m.upper() for m in _items(self.values["accessControlAllowMethods"]))
        allow_headers = _items(self.values["accessControlAllowHeaders"])
        self.echo_headers = allow_headers == ["*"]
        self.allow_headers = ",".join(allow_headers)
        self.expose_headers = ",".join(_items(self.values["accessControlExposeHeaders"]))
        self.credentials: bool = self.values["accessControlAllowCredentials"]
        max_age: int | None = self.values["accessControlMaxAge"]
        self.max_age = None if max_age is None else str(max_age)

    def allowed_origin(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for ``origin``, or None if it is not allowed."""
        if not origin:
            return None
        if self.any_origin:
            return origin if self.credentials else "*"
        return origin if origin.rstrip("/").lower() in self.origins else None

    def _origin_headers(self, headers: Headers, allowed: str) -> None:
        set_header(headers, "access-control-allow-origin", allowed)
        if self.credentials:
            set_header(headers, "access-control-allow-credentials", "true")
        if allowed != "*":
            _add_vary(headers, "Origin")

    async def on_request(self, exchange: Exchange) -> Reply | None:
        request = exchange.request
        if request.method != "OPTIONS":
            return None
        origin = header(request.headers, "origin")
        requested_method = header(request.headers, "access-control-request-method")
        if origin is None or requested_method is None:
            return None  # a plain OPTIONS request, not a preflight
        headers: Headers = []
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            self._origin_headers(headers, allowed)
            headers.append(("access-control-allow-methods", self.methods))
            if self.echo_headers:
                requested = header(request.headers, "access-control-request-headers")
                if requested:
                    headers.append(("access-control-allow-headers", requested))
            elif self.allow_headers:
                headers.append(("access-control-allow-headers", self.allow_headers))
            if self.max_age is not None:
                headers.append(("access-control-max-age", self.max_age))
        return Reply(204, headers)

    async def on_response(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None:
            return
        allowed = self.allowed_origin(header(exchange.request.headers, "origin"))
        if allowed is None:
            return
        self._origin_headers(response.headers, allowed)
        if self.expose_headers:
            set_header(response.headers, "access-control-expose-headers", self.expose_headers)
