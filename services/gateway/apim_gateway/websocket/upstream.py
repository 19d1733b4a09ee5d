"""The backend's handshake, completed before the client is accepted.

The backend URL is the API's ws:// or wss:// endpoint for the key type, with the topic's path and
the client's query (without its ``access_token``) appended. Its host must resolve outside the
operator's deny-list (``APIM_GATEWAY_ENDPOINT_DENY``, as for HTTP backends), and the connection
goes to the address that was checked. permessage-deflate is offered only with
``APIM_GATEWAY_WS_COMPRESSION``. A backend that refuses the handshake gets its status
passed to the client (WSO2 accepted the client anyway and echoed its frames back).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from apim_common import crypto_policy
from apim_common.outbound import IPNetwork, in_networks
from apim_gateway.context import Exchange, GatewayRequest
from apim_gateway.errors import BACKEND_TIMEOUT, BACKEND_UNREACHABLE, GatewayError
from apim_gateway.request.services import Services
from apim_gateway.websocket.handshake import Handshake


class BackendRefused(Exception):
    """The backend answered the handshake with this status instead of 101."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"the backend refused the handshake with {status}")
        self.status = status
        self.headers = headers
        self.body = body


def backend_url(base: str, path: str, query: str) -> str:
    url = base.rstrip("/") + (path if path not in ("", "/") else "")
    if "/" not in url.split("://", 1)[1]:
        url += "/"
    return f"{url}?{query}" if query else url


async def open_backend(
    services: Services, handshake: Handshake, deny: Sequence[IPNetwork]
) -> ClientConnection:
    """Raises ``BackendRefused`` or ``GatewayError`` (503 101503, 504 101504)."""
    settings = services.settings
    api = handshake.api
    endpoints = api.websocket or (api.graphql.subscription_endpoints if api.graphql is not None else {})
    base = endpoints.get(handshake.auth.key_type)
    if base is None:
        raise GatewayError(
            503, BACKEND_UNREACHABLE, f"{api.name} has no {handshake.auth.key_type.lower()} endpoint"
        )
    url = backend_url(base, handshake.backend_path, handshake.query)
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme.lower() == "wss"
    port = parts.port or (443 if secure else 80)
    headers = list(handshake.backend_headers)
    if settings.backend_jwt_enabled:
        headers.append((settings.backend_jwt_header, _backend_jwt(services, handshake)))
    try:
        address = await _allowed_address(host, port, deny)
        return await connect(
            url,
            additional_headers=headers,
            subprotocols=[Subprotocol(p) for p in handshake.subprotocols] or None,
            compression="deflate" if settings.gateway_ws_compression else None,
            open_timeout=settings.gateway_connect_timeout,
            ping_interval=settings.gateway_ws_ping_interval,
            ping_timeout=settings.gateway_ws_ping_timeout,
            max_size=settings.gateway_ws_max_backend_message,
            proxy=None,
            user_agent_header=None,
            host=address,
            port=port,
            ssl=crypto_policy.active().client_context() if secure else None,
            server_hostname=host if secure else None,
        )
    except InvalidStatus as exc:
        response = exc.response
        content_type = response.headers.get("Content-Type")
        kept = [(b"content-type", content_type.encode("latin-1"))] if content_type else []
        raise BackendRefused(response.status_code, kept, bytes(response.body or b"")) from None
    except TimeoutError:
        raise GatewayError(504, BACKEND_TIMEOUT, f"{host}:{port} did not complete the handshake") from None
    except (OSError, InvalidHandshake) as exc:
        raise GatewayError(503, BACKEND_UNREACHABLE, f"{host}:{port}: {exc}") from None


async def _allowed_address(host: str, port: int, deny: Sequence[IPNetwork]) -> str:
    """Every address ``host`` resolves to must be outside ``deny``; the first is connected to."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=0, proto=6)
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not addresses:
            raise OSError(f"'{host}' cannot be resolved")
    for address in addresses:
        if in_networks(address, deny):
            raise GatewayError(
                503, BACKEND_UNREACHABLE, f"{host}:{port} is in the gateway's endpoint deny-list"
            )
    return str(addresses[0])


def _backend_jwt(services: Services, handshake: Handshake) -> str:
    api = handshake.api
    exchange = Exchange(
        request=GatewayRequest("GET", handshake.backend_path, handshake.query, [], handshake.client_ip),
        tenant=api.tenant,
        api_id=api.id,
        api_context=api.context,
        api_version=api.version,
        resource=handshake.op.target,
        auth=handshake.auth,
    )
    settings = services.settings
    return services.backend_jwt.token_for(
        exchange, ttl=settings.backend_jwt_ttl, user_claims=settings.backend_jwt_user_claims
    )
