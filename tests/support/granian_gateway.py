"""The gateway as its own process under granian, serving from a snapshot cache file (no control
plane reachable): how the streaming tests check what granian serves, beside uvicorn in-process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import free_port

# Every control-plane URL points where nothing listens: the snapshot cache is all there is.
_NOWHERE = "http://127.0.0.1:9"
_PARTS = ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")


async def _healthy(port: int, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return True
            await asyncio.sleep(0.1)
    return False


@contextlib.asynccontextmanager
async def granian_gateway(
    directory: Path, snapshot: dict[str, Any], env: dict[str, str] | None = None, *, start_within: float = 60
) -> AsyncIterator[int]:
    """``python -m apim_gateway`` under granian on a free port, serving ``snapshot``: its port once
    ``/health`` answers. Killed on exit; its log is in the failure message if it never starts."""
    cache = directory / "snapshot.json"
    cache.write_text(json.dumps(snapshot))
    port = free_port()
    variables = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_PORT": str(port),
        "APIM_GATEWAY_SERVER": "granian",
        "APIM_GATEWAY_SNAPSHOT_CACHE": str(cache),
        "APIM_GATEWAY_SNAPSHOT_WAIT": "0",
        "APIM_LOG_LEVEL": "ERROR",
        **{f"APIM_{part}_URL": _NOWHERE for part in _PARTS},
        **(env or {}),
    }
    log = directory / "gateway.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "apim_gateway"], env=variables, stdout=output, stderr=output
        )
    try:
        if not await _healthy(port, process, start_within):
            raise AssertionError(f"the gateway did not start under granian:\n{log.read_text()}")
        yield port
    finally:
        process.kill()
        process.wait(timeout=10)
