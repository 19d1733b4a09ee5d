"""Backend: backend JWT, maxTps (503 900801), then the API's endpoints, load-balanced or in
failover order, each behind its breaker and timeout (504 101504, unreachable 503 101503, a broken
exchange 502 101500), with the side's endpoint security when it has one (no token: 503 101503);
a ``redirect_url`` variable names another target instead."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from apim_gateway.backends.endpoints import EndpointGroup
from apim_gateway.backends.security import send_with_credentials
from apim_gateway.backends.tokens import TokenError
from apim_gateway.context import Exchange
from apim_gateway.errors import (
    BACKEND_FAILED,
    BACKEND_TIMEOUT,
    BACKEND_UNREACHABLE,
    INVALID_CREDENTIALS,
    GatewayError,
)
from apim_gateway.policies.builtin.routing import join_target, split_url
from apim_gateway.request.body import RequestBody
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.upstream import (
    BodyStream,
    ConnectError,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

# Never forwarded: connection management, framing (the client sets its own), Host, and Expect
# (the ASGI server answered the client's 100-continue; the backend gets the body unasked).
_HOP_BY_HOP = frozenset(
    (
        "host",
        "expect",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "transfer-encoding",
    )
)
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
_BACKEND_JWT_VARIABLE = "backend_jwt"
_REDIRECT_VARIABLE = "redirect_url"


async def call_backend(
    services: Services,
    api: CompiledApi,
    op: Operation,
    exchange: Exchange,
    source: RequestBody,
    trace_headers: list[tuple[bytes, bytes]],
) -> UpstreamResponse:
    """The backend's answer to the request as the policies left it."""
    request = exchange.request
    variables = exchange.variables
    jwt_settings = variables.get(_BACKEND_JWT_VARIABLE)
    settings = services.settings
    if jwt_settings is not None or settings.backend_jwt_enabled:
        _add_backend_jwt(services, exchange, jwt_settings)
    key_type = exchange.auth.key_type
    limit = api.max_tps.get(key_type)
    if limit is not None:
        await services.rate_limits.backend(api.backend_keys[key_type], limit)
    body = request.body if request.body is not None else await source.for_upstream()
    method = request.method.encode()
    # The head's header lines in one pass: one encode for them all.
    lines = [f"{k}: {v}\r\n" for k, v in request.headers if k not in _HOP_BY_HOP]
    if request.client_ip:
        lines.append(f"x-forwarded-for: {request.client_ip}\r\n")
    outgoing = "".join(lines).encode("latin-1")
    if trace_headers:
        outgoing += b"".join([b"%s: %s\r\n" % (k, v) for k, v in trace_headers])
    upstream = services.upstream
    redirect = variables.get(_REDIRECT_VARIABLE)
    if redirect is not None:
        origin, base_path = split_url(str(redirect))
        target = join_target(base_path, request.path, request.query)
        try:
            return await upstream.request(
                origin, method, target, outgoing, body, read_timeout=settings.gateway_backend_timeout
            )
        except UpstreamTimeout as exc:
            raise GatewayError(504, BACKEND_TIMEOUT, f"{redirect} did not answer in time") from exc
        except UpstreamError as exc:
            raise GatewayError(503, BACKEND_UNREACHABLE, f"{redirect}: {exc}") from exc
    group = api.backends.get(key_type) if op.own_backends else None
    if group is None:
        group = _group(services.state, api, op, key_type)
    endpoints = group.try_order()
    credentials = group.security
    listed: list[tuple[bytes, bytes]] = []
    if credentials is not None:
        # The backend gets the endpoint's credentials, never the client's.
        listed = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in request.headers
            if k not in _HOP_BY_HOP and k != "authorization"
        ]
        if request.client_ip:
            listed.append((b"x-forwarded-for", request.client_ip.encode()))
        listed += trace_headers
    last: GatewayError | None = None
    for endpoint in endpoints:
        target = join_target(endpoint.base_path, request.path, request.query)
        try:
            if credentials is None:
                response = await upstream.request(
                    endpoint.origin, method, target, outgoing, body, read_timeout=endpoint.timeout
                )
            else:
                response = await send_with_credentials(
                    upstream, credentials, endpoint.origin, method, target, listed, body, endpoint.timeout
                )
        except TokenError as exc:
            raise GatewayError(503, BACKEND_UNREACHABLE, f"No token for the backend: {exc}") from None
        except UpstreamTimeout as exc:
            endpoint.breaker.failure(time.monotonic())
            last = GatewayError(
                504, BACKEND_TIMEOUT, f"The backend did not answer within {endpoint.timeout:g} s"
            )
            if request.method not in _IDEMPOTENT or isinstance(body, BodyStream):  # a streamed body is spent
                raise last from exc
            continue
        except ConnectError as exc:
            endpoint.breaker.failure(time.monotonic())
            last = GatewayError(503, BACKEND_UNREACHABLE, f"The backend cannot be reached: {exc}")
            continue
        except UpstreamError as exc:
            endpoint.breaker.failure(time.monotonic())
            raise GatewayError(502, BACKEND_FAILED, f"The backend broke the exchange: {exc}") from exc
        endpoint.breaker.success()
        return response
    assert last is not None
    raise last


def _group(state: RuntimeState, api: CompiledApi, op: Operation, key_type: str) -> EndpointGroup:
    """The endpoints for the key type: the product operation's own, else its API's."""
    if op.backends is not None:
        product_group = op.backends.get(key_type)
        if product_group is not None:
            return product_group
    source = api
    if op.backend_api_id is not None:
        member = state.apis.get(op.backend_api_id)
        if member is None:
            raise GatewayError(
                503, BACKEND_UNREACHABLE, "The API behind this product operation is not deployed"
            )
        source = member
    group = source.backends.get(key_type)
    if group is None:
        raise GatewayError(
            401, INVALID_CREDENTIALS, f"The API has no {key_type.lower()} endpoint for this key"
        )
    return group


def _add_backend_jwt(services: Services, exchange: Exchange, jwt_settings: Mapping[str, Any] | None) -> None:
    """Signs the backend JWT with the gateway's defaults, or a ``backEndJWT`` policy's settings."""
    settings = services.settings
    default_header = settings.backend_jwt_header.lower()
    if jwt_settings is None:
        header, ttl, user_claims, algorithm = (
            default_header,
            settings.backend_jwt_ttl,
            settings.backend_jwt_user_claims,
            "RS256",
        )
    else:
        header = str(jwt_settings.get("header") or default_header).lower()
        ttl = int(jwt_settings.get("tokenTTL") or settings.backend_jwt_ttl)
        user_claims = bool(jwt_settings.get("enableUserClaims"))
        algorithm = str(jwt_settings.get("signingAlgorithm") or "RS256")
    token = services.backend_jwt.token_for(exchange, ttl=ttl, user_claims=user_claims, algorithm=algorithm)
    headers = exchange.request.headers
    headers[:] = [(k, v) for k, v in headers if k != header]
    headers.append((header, token))
