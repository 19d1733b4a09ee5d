"""Deployment propagation: from a deploy-revision call returning to the new behaviour being served by
every gateway, in the standalone runner and in distributed mode (each service its own process,
Kafka, two gateways).

Per change: the API's production endpoint path alternates (``/echo/a`` and ``/echo/b``, which the
test backend reflects as the request path) via PUT /apis/{id}, a revision is made (the oldest
undeployed one deleted first when 5 exist) and deployed; then each gateway is polled about every
2 ms until it answers with the new path. Printed per mode: p50 / p99 of the time until the last
gateway serves the change, beside references measured in the same run (the p50 of a plain call
through the gateway) and the stated peer figure (Kong and Gravitee gateways poll their database
every 5 s by default, so a change waits up to 5 s, 2.5 s on average).

    uv run python benchmarks/bench_propagation.py [--changes N] [--modes standalone distributed]

Distributed mode needs scripts/infra: started (and stopped afterwards) only when .infra/env is
missing. Figures are noisy on a shared 2-core machine: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.e2e.conftest import Platform, run_distributed  # noqa: E402
from tests.support.processes import backend_process  # noqa: E402
from tests.support.standalone import run_standalone  # noqa: E402

PUBLISHER = "/api/am/publisher/v4"
SCOPES = "apim:api_view apim:api_create apim:api_publish apim:api_manage"
MAX_REVISIONS = 5
POLL = 0.002
PEER_POLL_SECONDS = 5.0
INFRA = str(ROOT / "scripts" / "infra")


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@contextmanager
def standalone(workdir: Path) -> Iterator[Platform]:
    with run_standalone(workdir, {"APIM_LOG_LEVEL": "WARNING"}) as runner:
        yield Platform.of(runner)


@contextmanager
def distributed(workdir: Path) -> Iterator[Platform]:
    started_infra = not (ROOT / ".infra" / "env").exists()
    if started_infra:
        subprocess.run([INFRA, "up"], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        with run_distributed(workdir, {"APIM_LOG_LEVEL": "WARNING"}) as platform:
            yield platform
    finally:
        if started_infra:
            subprocess.run([INFRA, "down"], check=False, stdout=subprocess.DEVNULL)  # noqa: S603


class Publisher:
    def __init__(self, control: httpx.Client) -> None:
        self.control = control
        r = control.post(
            "/client-registration/v0.17/register",
            json={"clientName": "bench-propagation", "owner": "admin", "grantType": "password"},
            headers=basic("admin", "admin"),
        )
        r.raise_for_status()
        client = r.json()
        r = control.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "admin", "password": "admin", "scope": SCOPES},
            headers=basic(client["clientId"], client["clientSecret"]),
        )
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = self.control.request(method, f"{PUBLISHER}{path}", headers=self.headers, **kwargs)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r

    def deploy(self, api_id: str) -> None:
        revisions = self.call("GET", f"/apis/{api_id}/revisions").json()["list"]
        if len(revisions) >= MAX_REVISIONS:
            undeployed = [r for r in revisions if not r.get("deploymentInfo")]
            oldest = min(undeployed, key=lambda r: (r.get("createdTime") or "", str(r["id"])))
            self.call("DELETE", f"/apis/{api_id}/revisions/{oldest['id']}")
        revision = self.call("POST", f"/apis/{api_id}/revisions", json={}).json()["id"]
        self.call(
            "POST",
            f"/apis/{api_id}/deploy-revision",
            params={"revisionId": revision},
            json=[{"name": "Default", "vhost": "localhost"}],
        )


def body(backend: str, variant: str) -> dict[str, Any]:
    return {
        "name": "Propagation",
        "context": "/propagation",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{backend}/echo/{variant}"},
        },
        "operations": [{"target": "/open", "verb": "GET", "authType": "None"}],
    }


def serves(gateway: httpx.Client, variant: str) -> bool:
    try:
        r = gateway.get("/propagation/1.0.0/open")
    except httpx.HTTPError:
        return False
    return r.status_code == 200 and r.json().get("path") == f"/echo/{variant}/open"


def wait_everywhere(gateways: list[httpx.Client], variant: str, timeout: float = 60) -> float:
    """Seconds from now until every gateway answers with ``variant``, polling each every ~2 ms."""
    start = time.perf_counter()
    pending = list(gateways)
    while pending:
        pending = [g for g in pending if not serves(g, variant)]
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"not served by every gateway within {timeout:.0f}s: {variant}")
        if pending:
            time.sleep(POLL)
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(q * (len(ordered) - 1)), len(ordered) - 1)]


def measure(platform: Platform, backend: str, changes: int) -> dict[str, float]:
    with ExitStack() as stack:
        control = stack.enter_context(platform.control_client())
        gateways = [stack.enter_context(g) for g in platform.gateway_clients()]
        publisher = Publisher(control)
        api_id = publisher.call("POST", "/apis", json=body(backend, "a")).json()["id"]
        publisher.deploy(api_id)
        publisher.call("POST", "/apis/change-lifecycle", params={"apiId": api_id, "action": "Publish"})
        wait_everywhere(gateways, "a")
        times = []
        for n in range(changes):
            variant = "b" if n % 2 == 0 else "a"
            publisher.call("PUT", f"/apis/{api_id}", json=body(backend, variant))
            publisher.deploy(api_id)
            times.append(wait_everywhere(gateways, variant))
        plain = []
        for n in range(200):
            gateway = gateways[n % len(gateways)]
            started = time.perf_counter()
            gateway.get("/propagation/1.0.0/open").raise_for_status()
            plain.append(time.perf_counter() - started)
        return {
            "gateways": len(gateways),
            "p50": statistics.median(times),
            "p99": percentile(times, 0.99),
            "max": max(times),
            "plain": statistics.median(plain),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument(
        "--modes", nargs="+", choices=["standalone", "distributed"], default=["standalone", "distributed"]
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with backend_process() as port, tempfile.TemporaryDirectory() as tmp:
        backend = f"http://127.0.0.1:{port}"
        for mode in args.modes:
            workdir = Path(tmp) / mode
            workdir.mkdir()
            runner = standalone if mode == "standalone" else distributed
            with runner(workdir) as platform:
                results[mode] = measure(platform, backend, args.changes)
    print(f"\nDeploy-revision returned -> new behaviour served by every gateway ({args.changes} changes)\n")
    print(f"{'mode':<12} {'gateways':>8} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'plain call p50 ms':>18}")
    for mode, r in results.items():
        print(
            f"{mode:<12} {r['gateways']:>8.0f} {r['p50'] * 1000:>9.1f} {r['p99'] * 1000:>9.1f} "
            f"{r['max'] * 1000:>9.1f} {r['plain'] * 1000:>18.2f}"
        )
    peer = PEER_POLL_SECONDS * 1000
    print(
        f"{'peer':<12} {'':>8} {peer / 2:>9.0f} {peer:>9.0f} {peer:>9.0f} {'':>18}"
        f"   stated: Kong / Gravitee poll their database every {PEER_POLL_SECONDS:.0f} s by default"
    )


if __name__ == "__main__":
    main()
