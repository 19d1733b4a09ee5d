"""``python -m apim_gateway``: one gateway (distributed mode) under uvicorn or granian.

``APIM_GATEWAY_SERVER`` picks the ASGI server, uvicorn unless it says granian
(docs/decisions/0034-gateway-server-uvicorn.md). Both get
the same app and the same trust in ``X-Forwarded-For``: from the addresses in
``FORWARDED_ALLOW_IPS`` (default ``127.0.0.1,::1``), as uvicorn's ``proxy_headers`` does.
Under uvicorn, ``APIM_GATEWAY_TLS_*`` make the gateway serve TLS itself, asking for client
certificates (``tls_listener``); its WebSocket options are ``websocket/server_options.py``'s.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from apim_common.certificate_binding import tls_listener as peer_tls_listener
from apim_common.crypto_policy import policy_for
from apim_common.fips import refuse_unless_fips
from apim_common.runner import run_service
from apim_common.telemetry import setup_logging
from apim_gateway.app import create_app
from apim_gateway.settings import Settings
from apim_gateway.websocket.server_options import uvicorn_websocket_options


def granian_app() -> ProxyHeadersMiddleware:
    """Builds the app inside granian's worker process (settings from the environment)."""
    _die_with_parent()
    app: Any = create_app(Settings())  # starlette's ASGI types and uvicorn's differ only in spelling
    return ProxyHeadersMiddleware(app, os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"))


def _die_with_parent() -> None:
    """granian serves in a child process: one that outlived a killed parent (SIGKILL, no chance to
    stop its workers) would keep serving the port. Linux ends it with its parent instead."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if _parent_pid is not None and os.getppid() != _parent_pid:  # it died before prctl
            os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1
_parent_pid: int | None = None  # set before granian forks its worker


def _serve_granian(settings: Settings) -> int:
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    global _parent_pid
    _parent_pid = os.getpid()
    server = Server(
        "apim_gateway.server:granian_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=1,
        loop=Loops.uvloop,
        factory=True,
        log_level=LogLevels.warning,
        log_access=False,
    )
    server.serve()
    return 0


def tls_listener(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the gateway's own TLS listener (none without a certificate): the
    connection's client certificate reaches the request path, for certificate-bound tokens."""
    if settings.gateway_tls_certfile is None or settings.gateway_tls_keyfile is None:
        return {}
    return peer_tls_listener(
        settings.gateway_tls_certfile,
        settings.gateway_tls_keyfile,
        settings.gateway_tls_client_ca,
        policy_for(settings.crypto_provider).tls_ciphers,
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The TLS listener's options and the client leg's WebSocket ones."""
    return {**tls_listener(settings), **uvicorn_websocket_options(settings)}


def main() -> int:
    settings = Settings()
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command == "serve" and settings.gateway_server == "granian":
        refuse_unless_fips(settings.crypto_provider)
        setup_logging(settings.log_level, json_output=settings.log_json)
        return _serve_granian(settings)
    return run_service("apim_gateway", Settings, create_app, uvicorn_options)
