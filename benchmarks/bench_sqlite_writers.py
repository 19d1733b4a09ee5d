"""Control-plane writes a second on the embedded default (SQLite) at 1, 8 and 32 concurrent clients.

Starts the standalone runner as a user does (`python -m apim_standalone`, development mode, a fresh
data folder, free ports), signs in as the bootstrap admin, then lets N clients each seed APIs the way
a script does: create the API, add a revision, deploy it, publish it, create an application and
subscribe it to the API. Every write counts once; every answer must be 2xx (a 5xx, such as SQLite's
"database is locked", fails the run). The machine's load is printed beside the figures.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support.standalone import admin_token, run_standalone, seed_api  # noqa: E402

CLIENTS = tuple(int(n) for n in os.environ.get("BENCH_SQLITE_CLIENTS", "1,8,32").split(","))
SECONDS = float(os.environ.get("BENCH_SQLITE_SECONDS", "8"))
PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
SCOPES = "apim:api_view apim:api_create apim:api_publish apim:subscribe apim:app_manage apim:sub_manage"


@contextmanager
def standalone(workdir: Path) -> Iterator[str]:
    """The control plane's URL of a standalone runner started in ``workdir``."""
    with run_standalone(workdir, {"APIM_LOG_LEVEL": "WARNING", "APIM_METRICS_PORT": "0"}) as runner:
        yield runner.control_url


@dataclass
class Tally:
    writes: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


async def _write(
    http: httpx.AsyncClient, tally: Tally, method: str, path: str, **kwargs: object
) -> dict[str, object]:
    started = time.perf_counter()
    r = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
    tally.latencies.append(time.perf_counter() - started)
    if r.status_code >= 300:
        tally.errors.append(f"{method} {path} -> {r.status_code} {r.text[:200]}")
        raise RuntimeError(tally.errors[-1])
    tally.writes += 1
    body = r.json() if r.content else {}
    return body if isinstance(body, dict) else {}


async def seed_one(http: httpx.AsyncClient, tally: Tally, name: str) -> None:
    """The six writes of one seeded API: create, revision, deploy, publish, application, subscription."""
    api = await _write(
        http,
        tally,
        "POST",
        f"{PUBLISHER}/apis",
        json=seed_api(name, ("/a", "GET"), ("/b", "POST")),
    )
    api_id = api["id"]
    revision = await _write(http, tally, "POST", f"{PUBLISHER}/apis/{api_id}/revisions", json={})
    await _write(
        http,
        tally,
        "POST",
        f"{PUBLISHER}/apis/{api_id}/deploy-revision",
        params={"revisionId": revision["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
    )
    await _write(
        http,
        tally,
        "POST",
        f"{PUBLISHER}/apis/change-lifecycle",
        params={"apiId": api_id, "action": "Publish"},
    )
    app = await _write(
        http,
        tally,
        "POST",
        f"{DEVPORTAL}/applications",
        json={"name": f"app-{name}", "throttlingPolicy": "Unlimited"},
    )
    # The devportal hears of the published API through the event bus, a moment after the publish.
    for _ in range(100):
        r = await http.post(
            f"{DEVPORTAL}/subscriptions",
            json={"applicationId": app["applicationId"], "apiId": api_id, "throttlingPolicy": "Unlimited"},
        )
        if r.status_code != 404:
            break
        await asyncio.sleep(0.05)
    if r.status_code != 201:
        tally.errors.append(f"subscribe -> {r.status_code} {r.text[:200]}")
        raise RuntimeError(tally.errors[-1])
    tally.writes += 1


async def run(base: str, token: str, clients: int, seconds: float) -> tuple[float, Tally]:
    tally = Tally()
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:

        async def worker(n: int) -> None:
            i = 0
            while time.monotonic() < deadline:
                await seed_one(http, tally, f"w{clients}c{n}i{i}{uuid.uuid4().hex[:6]}")
                i += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return tally.writes / elapsed, tally


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, standalone(Path(tmp)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            token = await admin_token(http, f"bench{uuid.uuid4().hex[:8]}", SCOPES)
        results = [(n, *(await run(base, token, n, SECONDS))) for n in CLIENTS]
    load = os.getloadavg()
    print(f"standalone runner (SQLite, WAL), control-plane writes a second over {SECONDS:.0f} s per row")
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print("  clients  writes/s  writes  errors  p50 ms  p99 ms  max ms")
    failed = False
    for clients, rate, tally in results:
        p50, p99, top = tally.percentile(0.5), tally.percentile(0.99), tally.percentile(1.0)
        print(
            f"  {clients:7d}  {rate:8.1f}  {tally.writes:6d}  {len(tally.errors):6d}"
            f"  {p50:6.0f}  {p99:6.0f}  {top:6.0f}"
        )
        for error in tally.errors[:3]:
            print(f"           {error}")
        failed = failed or bool(tally.errors)
    print("  goal: no error at any concurrency")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
