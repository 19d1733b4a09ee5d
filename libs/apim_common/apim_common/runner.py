"""Entry point of one service in distributed mode: ``python -m apim_x`` serves it,
``python -m apim_x migrate`` brings its database to the latest schema and exits."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from importlib.resources import files
from typing import Any, TypeVar

import uvicorn

from apim_common.fips import refuse_unless_fips
from apim_common.settings import ServiceSettings
from apim_common.telemetry import setup_logging

S = TypeVar("S", bound=ServiceSettings)


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
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        access_log=False,
        **(listener(settings) if listener is not None else {}),
    )
    return 0
