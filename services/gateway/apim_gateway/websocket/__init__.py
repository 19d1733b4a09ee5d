"""WebSocket APIs (type ``WS``): the handshake checked as an HTTP request is, the backend's
handshake before the client's, frames relayed and counted as events, live sockets closed when the
model withdraws what admitted them. ``WebSocketProxy`` is the ASGI callable for ``websocket``
scopes; ``Connections`` holds the live ones."""

from apim_gateway.websocket.connections import Connections
from apim_gateway.websocket.proxy import WebSocketProxy

__all__ = ["Connections", "WebSocketProxy"]
