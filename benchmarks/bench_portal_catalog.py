"""Server render time of the Developer Portal's catalog page with 1,000 published APIs.

The standalone platform runs in this process on a free port (uvicorn); 1,000 ``api.created`` events
of published APIs go into the devportal read model through the shared event bus, as the publisher's
would. Then the catalog page (first page, a later page, a search) is fetched over
HTTP N times each, beside the DevPortal REST call that page makes for its tiles (the same page of
``GET /apis`` as JSON), measured in the same run. The page also asks for the tag and category lists.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from apim_standalone.composition import build_platform
from apim_standalone.settings import StandaloneSettings

APIS = 1000
REQUESTS = 200
WARMUP = 20
TAGS = ["payments", "food", "travel", "weather", "maps", "books", "music", "health", "retail", "sports"]
CATEGORIES = ["Finance", "Lifestyle", "Data"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def api_event(i: int) -> tuple[str, list[object]]:
    api_id = str(uuid.uuid4())
    data = {
        "id": api_id,
        "name": f"Api{i:04d}",
        "description": f"API number {i}: {TAGS[i % len(TAGS)]} operations for the catalog benchmark.",
        "context": f"/api{i:04d}",
        "version": "1.0.0",
        "provider": "admin",
        "lifeCycleStatus": "PUBLISHED",
        "type": "HTTP",
        "visibility": "PUBLIC",
        "tags": [TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]],
        "categories": [CATEGORIES[i % len(CATEGORIES)]],
        "policies": ["Unlimited"],
        "businessInformation": {"businessOwner": f"Team {i % 17}"},
        "monetization": {"enabled": i % 10 == 0},
        "operations": [{"target": "/items", "verb": "GET"}],
    }
    return api_id, [new_event("publisher", "api.created", api_id, data)]


async def timed(client: httpx.AsyncClient, url: str) -> list[float]:
    for _ in range(WARMUP):
        (await client.get(url)).raise_for_status()
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = await client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return samples


def line(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"  {label:<46} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"


async def main() -> None:
    os.environ.setdefault("APIM_MODE", "development")
    logging.disable(logging.INFO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        settings = StandaloneSettings(data_dir=Path(data), control_port=port, gateway_port=free_port())
        platform = build_platform(settings, control_url=url)
        server = uvicorn.Server(
            uvicorn.Config(
                platform.control_plane, port=port, lifespan="off", log_level="warning", access_log=False
            )
        )
        async with platform.running():
            task = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110  # uvicorn offers no event to wait on
                await asyncio.sleep(0.05)
            started = time.perf_counter()
            for i in range(APIS):
                _, events = api_event(i)
                await platform.bus.publish(Topic.APIS, events[0])
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                while True:
                    listed = (await client.get("/api/am/devportal/v3/apis", params={"limit": 1})).json()
                    if listed["pagination"]["total"] >= APIS:
                        break
                    await asyncio.sleep(0.2)
                loaded = time.perf_counter() - started
                print(f"{APIS} published APIs in the devportal read model ({loaded:.1f} s to feed)")
                print(f"{REQUESTS} sequential requests each, one client, one process, 2 shared cores:")
                cases = [
                    (
                        "catalog page 1 (portal HTML)",
                        "/devportal/apis",
                        "/api/am/devportal/v3/apis?limit=24&offset=0",
                    ),
                    (
                        "catalog page 30 (portal HTML)",
                        "/devportal/apis?p=30",
                        "/api/am/devportal/v3/apis?limit=24&offset=696",
                    ),
                    (
                        "catalog search 'food' (portal HTML)",
                        "/devportal/apis?q=food",
                        "/api/am/devportal/v3/apis?limit=24&offset=0&query=food",
                    ),
                ]
                worst = 0.0
                for label, page, reference in cases:
                    html = await timed(client, page)
                    rest = await timed(client, reference)
                    worst = max(worst, sorted(html)[int(len(html) * 0.95) - 1])
                    print(line(label, html))
                    print(line("  reference: the same page of GET /apis (JSON)", rest))
                verdict = "meets" if worst < 150 else "misses"
                print(f"worst catalog p95 {worst:.1f} ms: {verdict} the 150 ms goal")
                print(
                    f"load average during the run: {os.getloadavg()[0]:.2f} (other work shares these cores)"
                )
            server.should_exit = True
            await task


if __name__ == "__main__":
    asyncio.run(main())
