"""Run the platform distributed on this machine: each service its own process, real PostgreSQL,
Kafka and Redis from scripts/infra, and two gateways. ``make dist-run``; Ctrl-C stops everything.

    python scripts/dist_run.py [--state FILE]

Prints each service's URL and writes them as JSON to ``--state`` (default .infra/dist.json) so
tests and scripts can find them. The state also holds each process's pid, command and environment
(``processes``), so a fault test can kill one and start it again as it was started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "scripts" / "infra"

# (name, package, owns a database)
SERVICES = [
    ("key-manager", "apim_key_manager", True),
    ("admin", "apim_admin", True),
    ("publisher", "apim_publisher", True),
    ("devportal", "apim_devportal", True),
    ("throttle-sync", "apim_throttle_sync", False),
    ("analytics", "apim_analytics", True),
]
GATEWAYS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def infra_env() -> dict[str, str]:
    env_file = ROOT / ".infra" / "env"
    if not env_file.exists():
        subprocess.run([str(INFRA), "up"], check=True, stdout=subprocess.DEVNULL)
    values: dict[str, str] = {}
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


async def create_databases(admin_url: str, names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def plan(infra: dict[str, str], *, suffix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    ports = {name: free_port() for name, _, _ in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    pg = infra["APIM_TEST_POSTGRES_URL"].rsplit("/", 1)[0]
    common = {
        **os.environ,
        "APIM_MODE": os.environ.get("APIM_MODE", "development"),
        "APIM_SECRET_KEY": os.environ.get("APIM_SECRET_KEY", secrets.token_urlsafe(48)),
        "APIM_LOG_JSON": os.environ.get("APIM_LOG_JSON", "false"),
        "APIM_BUS": "kafka",
        "APIM_KAFKA_BOOTSTRAP_SERVERS": infra["APIM_TEST_KAFKA_BOOTSTRAP"],
        "APIM_KAFKA_TOPIC_PREFIX": os.environ.get("APIM_KAFKA_TOPIC_PREFIX", "apim."),
        "APIM_COUNTER_BACKEND": infra["APIM_TEST_REDIS_URL"],
        # Failed sign-ins counted once for every key-manager replica.
        "APIM_SIGN_IN_FAILURES_BACKEND": infra["APIM_TEST_REDIS_URL"],
        "APIM_KEY_MANAGER_URL": urls["key-manager"],
        "APIM_ADMIN_URL": urls["admin"],
        "APIM_PUBLISHER_URL": urls["publisher"],
        "APIM_DEVPORTAL_URL": urls["devportal"],
        "APIM_THROTTLE_SYNC_URL": urls["throttle-sync"],
    }
    state: dict[str, Any] = {
        "services": urls,
        "gateways": [],
        # Where each process serves /metrics: a port of its own, never the one it serves traffic on.
        "metrics": {},
        "gateway_metrics": [],
        "databases": {},
        "processes": {},
    }
    for name, package, owns_db in SERVICES:
        if owns_db:
            state["databases"][name] = f"{pg}/{package}{suffix}"
    return state, common


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state", type=Path, default=ROOT / ".infra" / "dist.json")
    parser.add_argument(
        "--fresh", action="store_true", help="new, empty databases (named with a random suffix) for this run"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="keep the others running when a process exits (fault tests kill and restart processes)",
    )
    args = parser.parse_args()

    infra = infra_env()
    state, common = plan(infra, suffix=f"_{secrets.token_hex(4)}" if args.fresh else "")
    database_names = [url.rsplit("/", 1)[1] for url in state["databases"].values()]
    asyncio.run(create_databases(infra["APIM_TEST_POSTGRES_URL"], database_names))
    processes: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for p in processes:
            if p.poll() is None:
                p.terminate()
        for p in processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()

    def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(argv, env=env)
        state["processes"][name] = {"pid": process.pid, "argv": argv, "env": env}
        return process

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # The services start together (each migrates its own database first), then the gateways:
        # none needs another to become healthy, and one by one they took a minute and a half.
        envs: dict[str, dict[str, str]] = {}
        migrations = []
        for name, package, owns_db in SERVICES:
            env = envs[name] = {**common, "APIM_SERVICE_NAME": name}
            if owns_db:
                env["APIM_DATABASE_URL"] = state["databases"][name]
                migrations.append(subprocess.Popen([sys.executable, "-m", package, "migrate"], env=env))
        for migration in migrations:
            if migration.wait() != 0:
                raise RuntimeError(f"{' '.join(map(str, migration.args))} exited with {migration.returncode}")
        starting: list[tuple[str, subprocess.Popen[bytes]]] = []
        for name, package, _ in SERVICES:
            env = envs[name]
            url = state["services"][name]
            metrics_port = free_port()
            env.update(
                APIM_HOST="127.0.0.1", APIM_PORT=url.rsplit(":", 1)[1], APIM_METRICS_PORT=str(metrics_port)
            )
            state["metrics"][name] = f"http://127.0.0.1:{metrics_port}/metrics"
            processes.append(start(name, [sys.executable, "-m", package], env))
            starting.append((url, processes[-1]))
        for url, process in starting:
            wait_healthy(url, process)
        starting = []
        for n in range(1, GATEWAYS + 1):
            port, metrics_port = free_port(), free_port()
            env = {
                **common,
                "APIM_SERVICE_NAME": f"gateway-{n}",
                "APIM_HOST": "127.0.0.1",
                "APIM_PORT": str(port),
                "APIM_METRICS_PORT": str(metrics_port),
                "APIM_GATEWAY_ID": f"gateway-{n}",
                # Both gateways share every rate limit exactly through throttle-sync's leases.
                "APIM_GATEWAY_THROTTLE_MODE": "shared",
                "APIM_GATEWAY_SNAPSHOT_CACHE": str(args.state.parent / f"gateway-{n}-snapshot.json"),
            }
            processes.append(start(f"gateway-{n}", [sys.executable, "-m", "apim_gateway"], env))
            state["gateways"].append(f"http://127.0.0.1:{port}")
            state["gateway_metrics"].append(f"http://127.0.0.1:{metrics_port}/metrics")
            starting.append((state["gateways"][-1], processes[-1]))
        for url, process in starting:
            wait_healthy(url, process)
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.state.write_text(json.dumps(state, indent=2))
        for name, url in state["services"].items():
            print(f"{name:<14} {url}", flush=True)
        for n, url in enumerate(state["gateways"], 1):
            print(f"{'gateway-' + str(n):<14} {url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while args.keep_going or all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a service exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()
        args.state.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
