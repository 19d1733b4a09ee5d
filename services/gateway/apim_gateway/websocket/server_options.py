"""uvicorn's options for the gateway's client leg, the same wherever uvicorn serves the gateway
(``python -m apim_gateway`` with ``APIM_GATEWAY_SERVER=uvicorn``, and the standalone mode).

Its sans-I/O ``websockets`` implementation, the cheapest per frame of those installed (21.4 CPU us
per relayed frame against 25.9 for the legacy one, docs/decisions/0033), and permessage-deflate
only with ``APIM_GATEWAY_WS_COMPRESSION``: uvicorn would otherwise accept it from every client that
offers it (every browser), compressing each frame to the client.
"""

from __future__ import annotations

from typing import Any

from apim_gateway.settings import Settings


def uvicorn_websocket_options(settings: Settings) -> dict[str, Any]:
    return {"ws": "websockets-sansio", "ws_per_message_deflate": settings.gateway_ws_compression}
