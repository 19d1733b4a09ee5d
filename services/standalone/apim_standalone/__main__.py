"""``make run``: the control plane on one port, the gateway on its own, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Generator
from typing import Any

import uvicorn
from pydantic import ValidationError

from apim_common import crypto_policy
from apim_common.certificate_binding import tls_listener
from apim_common.fips import refuse_unless_fips
from apim_common.settings import InsecureSettingsError, ServiceSettings, refuse_public_host_in_development
from apim_common.telemetry import metrics_listener, setup_logging
from apim_gateway.websocket.server_options import uvicorn_websocket_options
from apim_standalone.composition import build_platform
from apim_standalone.settings import StandaloneSettings

logger = logging.getLogger("apim.standalone")


class _Server(uvicorn.Server):
    """Signals are handled once for both servers by the runner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on sockets that say they are
    # TCP, and accepted sockets take the listener's. With Nagle on, a response written as head and
    # body waited for the client's delayed ACK: 40 ms per keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def control_plane_tls(settings: StandaloneSettings) -> dict[str, Any]:
    """uvicorn's options for the control plane's TLS listener (none without a certificate): with
    ``APIM_TLS_CLIENT_CA`` it asks for client certificates, which the token endpoint binds tokens
    to. FIPS mode: forward-secret AES-GCM suites only; TLS 1.2 is the floor in every mode."""
    if settings.tls_certfile is None or settings.tls_keyfile is None:
        return {}
    ciphers = crypto_policy.active().tls_ciphers
    return tls_listener(settings.tls_certfile, settings.tls_keyfile, settings.tls_client_ca, ciphers)


async def serve(settings: StandaloneSettings) -> None:
    # Bind first so that port 0 (tests) resolves to real ports the services can be told about.
    control_sock = _bind(settings.host, settings.control_port)
    gateway_sock = _bind(settings.host, settings.gateway_port)
    control_port = control_sock.getsockname()[1]
    gateway_port = gateway_sock.getsockname()[1]
    control_url = settings.control_plane_url(control_port)
    platform = build_platform(
        settings, control_url=control_url, gateway_url=settings.gateway_url(gateway_port)
    )
    tls = control_plane_tls(settings)
    common = {"lifespan": "off", "log_config": None, "access_log": False, "proxy_headers": True}
    gateway_ws = uvicorn_websocket_options(platform.gateway.settings)
    servers = [
        _Server(uvicorn.Config(platform.control_plane, **common, **tls)),  # type: ignore[arg-type]
        _Server(uvicorn.Config(platform.gateway, **common, **gateway_ws)),  # type: ignore[arg-type]
    ]

    def stop() -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(platform.running())
        metrics_url = None
        if settings.metrics_port is not None:
            metrics = await stack.enter_async_context(
                metrics_listener(settings.metrics_host, settings.metrics_port)
            )
            metrics_url = f"http://{settings.metrics_host}:{metrics.sockets[0].getsockname()[1]}/metrics"
        gateway_scheme = "http"
        print(f"Control plane: {control_url}  (health {control_url}/health)", flush=True)
        for name, prefix in (
            ("Publisher API", "/api/am/publisher/v4"),
            ("DevPortal API", "/api/am/devportal/v3"),
            ("Admin API", "/api/am/admin/v4"),
        ):
            print(f"  {name:<14} {control_url}{prefix}  (docs {control_url}{prefix}/docs)", flush=True)
        print(f"  Token endpoint {control_url}/oauth2/token", flush=True)
        for name, prefix in (
            ("Developer Portal", "/devportal"),
            ("Publisher", "/publisher"),
            ("Admin", "/admin"),
        ):
            print(f"  {name:<16} {control_url}{prefix}", flush=True)
        print(f"Gateway:       {gateway_scheme}://{settings.host}:{gateway_port}", flush=True)
        if metrics_url is not None:
            print(f"Metrics:       {metrics_url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await asyncio.gather(servers[0].serve([control_sock]), servers[1].serve([gateway_sock]))
    logger.info("stopped")


def main() -> int:
    try:
        base = ServiceSettings()
        settings = StandaloneSettings()
        if base.is_development:
            refuse_public_host_in_development(settings.host)
    except ValidationError as exc:
        print(f"apim: refusing to start: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except InsecureSettingsError as exc:
        print(f"apim: refusing to start: {exc}", file=sys.stderr)
        return 2
    refuse_unless_fips(base.crypto_provider)
    setup_logging(base.log_level, json_output=base.log_json)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
