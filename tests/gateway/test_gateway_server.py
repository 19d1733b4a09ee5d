"""``python -m apim_gateway``: the ASGI server chosen by APIM_GATEWAY_SERVER."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from apim_gateway import server
from apim_gateway.app import Gateway
from tests.gateway.conftest import gateway_settings


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setenv("APIM_GATEWAY_SNAPSHOT_CACHE", "")
    monkeypatch.setattr(sys, "argv", ["apim_gateway"])


def _record_runners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []

    def run_service(*args: Any) -> int:
        ran.append("uvicorn")
        return 0

    def serve_granian(settings: Any) -> int:
        ran.append("granian")
        return 0

    monkeypatch.setattr(server, "run_service", run_service)
    monkeypatch.setattr(server, "_serve_granian", serve_granian)
    return ran


def test_the_gateway_starts_without_loading_sqlalchemy_or_alembic() -> None:
    # It has no database: loading them cost about a third of its start (1.2 s of 3.3 s, 2026-12-07).
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, apim_gateway.__main__; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_the_gateway_loads_graphql_core_only_with_its_first_graphql_api() -> None:
    # A gateway serving no GraphQL API does not pay for graphql-core's import (about 0.3 s).
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, apim_gateway.__main__, apim_gateway.request.pipeline, apim_gateway.websocket.proxy\n"
            "from apim_gateway.graphql import compile_schema\n"
            "before = 'graphql' in sys.modules\n"
            "compile_schema({'graphQLSchema': 'type Query { hello: String }'})\n"
            "print(before, 'graphql' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.split() == ["False", "True"]


@pytest.mark.usefixtures("development")
def test_the_gateway_runs_under_uvicorn_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIM_GATEWAY_SERVER", raising=False)
    ran = _record_runners(monkeypatch)
    assert server.main() == 0
    assert ran == ["uvicorn"]


@pytest.mark.usefixtures("development")
def test_apim_gateway_server_granian_serves_under_granian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_GATEWAY_SERVER", "granian")
    ran = _record_runners(monkeypatch)
    assert server.main() == 0
    assert ran == ["granian"]


@pytest.mark.usefixtures("development")
def test_granian_app_trusts_forwarded_for_from_the_allowed_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.7")
    monkeypatch.setattr(server, "_die_with_parent", lambda: None)
    app = server.granian_app()
    assert isinstance(app, ProxyHeadersMiddleware)
    assert isinstance(app.app, Gateway)
    assert "10.0.0.7" in app.trusted_hosts
    assert "127.0.0.1" not in app.trusted_hosts


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _eventually(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_granians_worker_stops_serving_when_the_gateway_process_is_killed(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    nowhere = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_PORT": str(port),
        "APIM_GATEWAY_SERVER": "granian",
        "APIM_GATEWAY_SNAPSHOT_CACHE": str(tmp_path / "snapshot.json"),
        "APIM_GATEWAY_SNAPSHOT_WAIT": "0",
        "APIM_LOG_LEVEL": "ERROR",
        **{f"APIM_{part}_URL": nowhere for part in ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "apim_gateway"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # Generous: the start imports the whole gateway, slow on a loaded machine; it returns once up.
        assert _eventually(lambda: _answers(port), 60)
        process.kill()
        process.wait(timeout=5)
        assert _eventually(lambda: not _answers(port), 10)
    finally:
        if process.poll() is None:
            process.kill()


async def test_what_the_gateway_built_at_startup_is_out_of_the_collectors_sight_while_it_serves(
    tmp_path: Path,
) -> None:
    """A full collection scans only what requests made, not the whole heap, so it pauses no request
    for long; the objects come back under the collector at shutdown."""
    gateway = Gateway(gateway_settings(tmp_path, gateway_snapshot_wait=0))
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()

    async def send(message: MutableMapping[str, Any]) -> None:
        await outbox.put(message)

    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(gateway({"type": "lifespan"}, inbox.get, send))
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    frozen = gc.get_freeze_count()
    await inbox.put({"type": "lifespan.shutdown"})
    assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
    await lifespan
    assert frozen > 10_000
    assert gc.get_freeze_count() == 0
