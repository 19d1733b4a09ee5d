"""Entry point of one service in distributed mode: ``python -m apim_x`` serves it,
``python -m apim_x migrate`` brings its database to the latest schema and exits.

uvicorn serves without its ``server: uvicorn`` header (nothing reads it; in the gateway it came on
top of the backend's own, which a ``removeHeader`` policy could not take away) and keeps ``date``
(RFC 9110 6.6.1: an origin server with a clock must send it). ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed from the addresses in ``FORWARDED_ALLOW_IPS``, uvicorn's own
variable (default ``127.0.0.1,::1``); set empty, nobody is trusted and uvicorn's proxy-headers
middleware is left out of every request's path instead of finding nothing to trust.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from importlib.resources import files
from typing import Any, TypeVar

import uvicorn

from apim_common.fips import refuse_unless_fips
from apim_common.settings import ServiceSettings
from apim_common.telemetry import setup_logging

S = TypeVar("S", bound=ServiceSettings)

# uvicorn's default for ``FORWARDED_ALLOW_IPS``: a proxy on the same host (a sidecar).
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"


def forwarded_allow_ips() -> str:
    """The addresses whose forwarded headers are believed, as uvicorn reads them."""
    return os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS)


def server_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's options common to every service (a TLS listener adds its own)."""
    trusted = forwarded_allow_ips()
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "date_header": True,
        # Off when no address is trusted: the middleware would only look up the peer and pass on.
        "proxy_headers": any(address.strip() for address in trusted.split(",")),
        "forwarded_allow_ips": trusted,
    }


async def _migrate(package: str, url: str) -> None:
    # Here, not at the top: a service without a database (the gateway) starts without loading
    # SQLAlchemy and Alembic.
    from apim_common.db import create_engine
    from apim_common.migrations import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine, package)
    finally:
        await engine.dispose()


def run_service(
    package: str,
    settings_class: type[S],
    create_app: Callable[[S], Any],
    listener: Callable[[S], dict[str, Any]] | None = None,
) -> int:
    """``listener``: more of uvicorn's options from the settings (a TLS listener's)."""
    settings = settings_class()
    refuse_unless_fips(settings.crypto_provider)
    setup_logging(settings.log_level, json_output=settings.log_json)
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command == "migrate":
        if (files(package) / "migrations").is_dir():
            asyncio.run(_migrate(package, settings.database_url))
        return 0
    if command != "serve":
        print(f"usage: python -m {package} [serve|migrate]", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        **server_options(settings),
        **(listener(settings) if listener is not None else {}),
    )
    return 0
