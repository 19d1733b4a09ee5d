"""client_credentials tokens per second from one key-manager process, beside the same server's
/health (the no-work ceiling of the HTTP stack), measured in the same run.

Starts the key manager with uvicorn in a subprocess on a free port (SQLite in a temp dir,
development mode), registers a client with DCR, then drives N requests from a few concurrent
httpx clients.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REQUESTS = int(os.environ.get("BENCH_TOKENS_REQUESTS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_TOKENS_CONCURRENCY", "16"))
WARMUP = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'key_manager.db'}",
        "APIM_HOST": "127.0.0.1",
        "APIM_PORT": str(port),
        "APIM_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "apim_key_manager"], env=env)


async def wait_up(base: str) -> None:
    deadline = time.monotonic() + 60.0
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the key manager did not start")


async def drive(base: str, n: int, method: str, path: str, **kwargs: object) -> float:
    """Requests per second over ``n`` requests from CONCURRENCY clients; every answer must be 200."""
    remaining = n

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            r = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
            if r.status_code != 200:
                raise RuntimeError(f"{path} answered {r.status_code}: {r.text}")

    clients = [httpx.AsyncClient(base_url=base) for _ in range(CONCURRENCY)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        return n / (time.perf_counter() - started)
    finally:
        for c in clients:
            await c.aclose()


async def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(port, Path(tmp))
        try:
            await wait_up(base)
            async with httpx.AsyncClient(base_url=base) as http:
                r = await http.post(
                    "/client-registration/v0.17/register",
                    json={"clientName": "bench", "owner": "admin", "grantType": "client_credentials"},
                    auth=("admin", "admin"),
                )
                r.raise_for_status()
                client = r.json()
            auth = (client["clientId"], client["clientSecret"])
            form = {"grant_type": "client_credentials"}
            await drive(base, WARMUP, "POST", "/oauth2/token", data=form, auth=auth)
            await drive(base, WARMUP, "GET", "/health")
            health = await drive(base, REQUESTS, "GET", "/health")
            tokens = await drive(base, REQUESTS, "POST", "/oauth2/token", data=form, auth=auth)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"key-manager, 1 uvicorn worker, {CONCURRENCY} concurrent clients, {REQUESTS} requests each")
    print(f"  reference  GET /health (no work)                 {health:8.0f} req/s")
    share = f"{tokens / health:.0%} of reference"
    print(f"  measured   POST /oauth2/token client_credentials {tokens:8.0f} tokens/s  ({share})")
    print("  target     >= 3,000 tokens/s per core (later)")


if __name__ == "__main__":
    asyncio.run(main())
