"""Scale of the model: a platform holding N deployed APIs, N/5 applications and N/5 x P subscriptions.

Distributed mode (``scripts/dist_run.py``: a process per service, PostgreSQL, Kafka, two gateways).
The gateways are stopped first; then the model is seeded through the services' own service layer,
called in this process in batches against their PostgreSQL databases (create, revision, deploy and
publish in the publisher; applications and subscriptions in the devportal), with the events going
out through each service's outbox as they do for a REST call. Then:

- cold start: gateway-1 started again without its snapshot cache, until it serves the last seeded
  API (goal < 5 s), and its resident memory then (goal < 600 MB);
- deploy of one more API until every gateway serves it, over ``--deploys`` APIs (goal p99 < 200 ms);
- the Publisher's and the DevPortal's list and search, p99 over ``--requests`` calls (goal < 200 ms);
- routing: the gateway's compiled routing table of all N APIs against one of 10, in this process on
  the artifacts gateway-1 loaded (goal: within 2 us per request), and the cost of one more deploy
  into each model.

    uv run --frozen python benchmarks/bench_scale.py                          # 200 APIs (make bench)
    uv run --frozen python benchmarks/bench_scale.py --apis 10000 --per-app 50  # the full model

Needs the local PostgreSQL, Redis and Kafka of ``scripts/infra`` (started and stopped here when
.infra/env is missing). The machine's load is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from apim_common.db import Database  # noqa: E402
from apim_common.errors import NotFound  # noqa: E402
from apim_common.security import Principal  # noqa: E402
from apim_devportal.applications import service as applications  # noqa: E402
from apim_devportal.applications.schemas import ApplicationIn  # noqa: E402
from apim_devportal.subscriptions import service as subscriptions  # noqa: E402
from apim_devportal.subscriptions.schemas import SubscriptionIn  # noqa: E402
from apim_gateway.runtime.apis import BackendSettings  # noqa: E402
from apim_gateway.runtime.state import RuntimeState  # noqa: E402
from apim_publisher.apis import service as apis  # noqa: E402
from apim_publisher.apis.schemas import APIBody  # noqa: E402
from apim_publisher.lifecycle import service as lifecycle  # noqa: E402
from apim_publisher.revisions import service as revisions  # noqa: E402
from apim_publisher.revisions.schemas import DeploymentTarget  # noqa: E402
from tests.e2e.conftest import Platform  # noqa: E402
from tests.support.processes import backend_process, stop  # noqa: E402
from tests.support.standalone import ALL_SCOPES, basic, bearer  # noqa: E402

PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
INFRA = str(ROOT / "scripts" / "infra")
SEED_BATCH = 50
SEED_WORKERS = 4
GOALS = {"cold": 5.0, "rss": 600.0, "deploy": 200.0, "list": 200.0, "routing": 2.0}
ADMIN = Principal(
    username="admin",
    scopes=frozenset(
        {"apim:api_create", "apim:api_publish", "apim:api_manage", "apim:admin", "apim:subscribe"}
    ),
)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f}"


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def api_body(n: int, backend: str, prefix: str = "scale") -> APIBody:
    """API number ``n``: three operations open to anyone, on the test backend."""
    return APIBody.model_validate(
        {
            "name": f"{prefix}{n:05d}",
            "context": f"/{prefix}{n:05d}",
            "version": "1.0.0",
            "description": f"Seeded API number {n} of the scale benchmark",
            "tags": [f"group{n % 50}"],
            "policies": ["Unlimited"],
            "endpointConfig": {"endpoint_type": "http", "production_endpoints": {"url": f"{backend}/echo"}},
            "operations": [
                {"target": "/items", "verb": "GET", "authType": "None", "throttlingPolicy": "Unlimited"},
                {"target": "/items", "verb": "POST", "authType": "None", "throttlingPolicy": "Unlimited"},
                {"target": "/items/{id}", "verb": "GET", "authType": "None", "throttlingPolicy": "Unlimited"},
            ],
        }
    )


@dataclass
class Seeded:
    api_ids: list[str] = field(default_factory=list)
    app_ids: list[str] = field(default_factory=list)
    subscriptions: int = 0
    skipped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


async def in_batches(
    database: Database, count: int, step: Callable[[Any, int], Awaitable[None]], workers: int = SEED_WORKERS
) -> float:
    """``step(session, n)`` for n in 0..count-1, SEED_BATCH to a transaction, ``workers`` at a time."""
    batches = asyncio.Queue[range]()
    for start in range(0, count, SEED_BATCH):
        batches.put_nowait(range(start, min(start + SEED_BATCH, count)))

    async def worker() -> None:
        while not batches.empty():
            batch = batches.get_nowait()
            async with database.session() as session, session.begin():
                for n in batch:
                    await step(session, n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def seed_publisher(url: str, count: int, backend: str, seeded: Seeded) -> None:
    database = Database(url)
    ids: list[str | None] = [None] * count
    target = [DeploymentTarget(name="Default", vhost="localhost")]

    async def one(session: Any, n: int) -> None:
        api = await apis.create(session, ADMIN, api_body(n, backend))
        revision = await revisions.create(session, ADMIN, api, None)
        await revisions.deploy(session, ADMIN, api, revision, target)
        await lifecycle.change(session, ADMIN, api, "Publish", None)
        ids[n] = api.id

    try:
        seeded.seconds["apis"] = await in_batches(database, count, one)
    finally:
        await database.dispose()
    seeded.api_ids = [i for i in ids if i is not None]


async def seed_devportal(url: str, apps: int, per_app: int, seeded: Seeded) -> None:
    database = Database(url)
    app_ids: list[str | None] = [None] * apps
    api_ids = seeded.api_ids

    async def application(session: Any, n: int) -> None:
        body = ApplicationIn(name=f"scale-app-{n:05d}", throttlingPolicy="Unlimited")
        app_ids[n] = (await applications.create(session, ADMIN, body, [])).id

    async def subscribe(session: Any, n: int) -> None:
        app_id = app_ids[n // per_app]
        assert app_id is not None
        # Application a subscribes to per_app APIs spread over the model, starting at its own offset.
        api_id = api_ids[(n // per_app + (n % per_app) * max(1, len(api_ids) // per_app)) % len(api_ids)]
        body = SubscriptionIn(applicationId=app_id, apiId=api_id, throttlingPolicy="Unlimited")
        try:
            await subscriptions.create(session, ADMIN, body, None)
        except NotFound:
            # The catalog has not heard of this API yet (see wait_catalog): counted, not fatal.
            seeded.skipped += 1

    try:
        seeded.seconds["applications"] = await in_batches(database, apps, application)
        seeded.app_ids = [i for i in app_ids if i is not None]
        seeded.seconds["subscriptions"] = await in_batches(database, apps * per_app, subscribe)
        seeded.subscriptions = apps * per_app - seeded.skipped
    finally:
        await database.dispose()


@contextmanager
def distributed(workdir: Path, timeout: float = 900) -> Iterator[Platform]:
    """``scripts/dist_run.py --fresh --keep-going`` in ``workdir`` (new databases and topics), given
    longer to start than the tests give it: on a loaded machine its migrations alone take minutes."""
    started_infra = not (ROOT / ".infra" / "env").exists()
    if started_infra:
        subprocess.run([INFRA, "up"], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    log, state = workdir / "dist-run.log", workdir / "dist.json"
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_LOG_JSON": "false",
        "APIM_LOG_LEVEL": "WARNING",
        "APIM_KAFKA_TOPIC_PREFIX": f"scale{uuid.uuid4().hex[:8]}.",
    }
    argv = [
        sys.executable,
        str(ROOT / "scripts" / "dist_run.py"),
        "--state",
        str(state),
        "--fresh",
        "--keep-going",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        while not state.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the distributed runner did not start:\n{log.read_text()[-5000:]}")
            time.sleep(0.5)
        urls = json.loads(state.read_text())
        yield Platform(
            control_url=urls["services"]["publisher"],
            gateway_url=urls["gateways"][0],
            process=process,  # type: ignore[arg-type]
            log=log,
            service_urls=urls["services"],
            gateway_urls=urls["gateways"],
            processes=urls.get("processes", {}),
        )
    finally:
        stop(process)
        if started_infra:
            subprocess.run([INFRA, "down"], check=False, stdout=subprocess.DEVNULL)  # noqa: S603


class Gateways:
    """The distributed run's gateways, stopped and started again by this bench as dist_run started them."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.names = sorted(n for n in platform.processes if n.startswith("gateway-"))
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def stop_all(self) -> None:
        for name in self.names:
            pid = int(self.platform.processes[name]["pid"])
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(150):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)

    def start(self, name: str, *, cold: bool) -> subprocess.Popen[bytes]:
        spec = self.platform.processes[name]
        env = dict(spec["env"])
        if cold:
            Path(env["APIM_GATEWAY_SNAPSHOT_CACHE"]).unlink(missing_ok=True)
        process = subprocess.Popen(spec["argv"], env=env)  # noqa: S603
        self.started[name] = process
        return process

    def url(self, name: str) -> str:
        return str((self.platform.gateway_urls or [])[self.names.index(name)])

    def cache(self, name: str) -> Path:
        return Path(self.platform.processes[name]["env"]["APIM_GATEWAY_SNAPSHOT_CACHE"])

    def close(self) -> None:
        for process in self.started.values():
            process.terminate()
        for process in self.started.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid``, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds ``pid`` has used: steadier than wall time on a loaded machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serves(gateway: httpx.Client, context: str) -> bool:
    try:
        return gateway.get(f"{context}/1.0.0/items").status_code == 200
    except httpx.HTTPError:
        return False


def wait_served(gateways: list[httpx.Client], context: str, timeout: float, poll: float = 0.002) -> float:
    started = time.perf_counter()
    pending = list(gateways)
    while pending:
        pending = [g for g in pending if not serves(g, context)]
        if pending:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{context} not served by every gateway within {timeout:.0f} s")
            time.sleep(poll)
    return time.perf_counter() - started


class Control:
    """A client of the control plane with admin's token."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        r = client.post(
            "/client-registration/v0.17/register",
            json={
                "clientName": f"bench-scale-{uuid.uuid4().hex[:6]}",
                "owner": "admin",
                "grantType": "password",
            },
            headers=basic("admin", "admin"),
        )
        r.raise_for_status()
        c = r.json()
        r = client.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "admin", "password": "admin", "scope": ALL_SCOPES},
            headers=basic(c["clientId"], c["clientSecret"]),
        )
        r.raise_for_status()
        self.headers = bearer(r.json()["access_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        r = self.client.request(method, path, headers=self.headers, **kwargs)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r

    def timed(self, path: str, params: dict[str, Any], requests: int) -> tuple[float, float, int]:
        """p50 and p99 in ms of ``requests`` GETs, and the total the answer counted."""
        times = []
        total = 0
        for _ in range(requests):
            started = time.perf_counter()
            try:
                body = self.call("GET", path, params=params).json()
            except httpx.TimeoutException:
                # Counted at the client's timeout: the figure stays a lower bound.
                body = {}
            times.append((time.perf_counter() - started) * 1000)
            total = int((body.get("pagination") or {}).get("total") or body.get("count") or total)
        return statistics.median(times), percentile(times, 0.99), total


def wait_catalog(control: Control, count: int, timeout: float) -> float:
    """Seconds until the DevPortal's catalog lists ``count`` APIs (it learns them from events)."""
    started = time.perf_counter()
    while True:
        body = control.call("GET", f"{DEVPORTAL}/apis", params={"limit": 1}).json()
        if int((body.get("pagination") or {}).get("total") or 0) >= count:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            listed = (body.get("pagination") or {}).get("total")
            print(f"  the DevPortal lists {listed} of {count} APIs; going on")
            return time.perf_counter() - started
        time.sleep(1)


def deploy_one(control: Control, n: int, backend: str) -> str:
    body = api_body(n, backend, prefix="more").model_dump(exclude_none=True)
    api_id = control.call("POST", f"{PUBLISHER}/apis", json=body).json()["id"]
    revision = control.call("POST", f"{PUBLISHER}/apis/{api_id}/revisions", json={}).json()["id"]
    control.call(
        "POST",
        f"{PUBLISHER}/apis/{api_id}/deploy-revision",
        params={"revisionId": revision},
        json=[{"name": "Default", "vhost": "localhost"}],
    )
    return f"/more{n:05d}"


def routing_cost(artifacts: list[dict[str, Any]], rounds: int = 7, calls: int = 20000) -> dict[str, float]:
    """ns per route() of the last API's path with every artifact compiled, and with the first 10;
    ms of one more deploy into each model."""

    def model(subset: list[dict[str, Any]]) -> RuntimeState:
        state = RuntimeState(
            environment="Default",
            default_vhost="localhost",
            backend=BackendSettings(default_timeout=30, failure_threshold=5, open_for=30),
        )
        state.load_snapshot({"publisher": {"artifacts": subset}})
        return state

    def per_route(state: RuntimeState, context: str) -> float:
        router = state.router
        path = f"{context}/1.0.0/items/42"
        assert router.route("localhost", path) is not None, path
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter_ns()
            for _ in range(calls):
                router.route("localhost", path)
            best = min(best, (time.perf_counter_ns() - started) / calls)
        return best

    def one_deploy(state: RuntimeState, artifact: dict[str, Any]) -> float:
        best = float("inf")
        for n in range(rounds):
            copy = {**artifact, "id": f"{artifact['id']}-{n}", "context": f"{artifact['context']}x{n}"}
            started = time.perf_counter()
            state.deploy(copy)
            best = min(best, time.perf_counter() - started)
        return best * 1000

    started = time.perf_counter()
    large = model(artifacts)
    compile_all = time.perf_counter() - started
    small = model(artifacts[-10:])
    last = str(artifacts[-1]["context"])
    return {
        "compile_s": compile_all,
        "small_ns": per_route(small, last),
        "large_ns": per_route(large, last),
        "small_deploy_ms": one_deploy(small, artifacts[-1]),
        "large_deploy_ms": one_deploy(large, artifacts[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apis", type=int, default=200)
    parser.add_argument("--deploys", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--per-app", type=int, default=5, help="subscriptions of each application")
    args = parser.parse_args()
    apps = max(1, args.apis // 5)
    per_app = min(args.per_app, args.apis)
    figures: dict[str, Any] = {}
    seeded = Seeded()
    with ExitStack() as stack:
        backend = f"http://127.0.0.1:{stack.enter_context(backend_process())}"
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        platform = stack.enter_context(distributed(workdir))
        gateways = Gateways(platform)
        stack.callback(gateways.close)
        gateways.stop_all()
        databases = {n: p["env"].get("APIM_DATABASE_URL") for n, p in platform.processes.items()}
        control = Control(stack.enter_context(platform.control_client()))

        print(f"seeding {args.apis} APIs, {apps} applications, {apps * per_app} subscriptions ({load()})")
        asyncio.run(seed_publisher(databases["publisher"], args.apis, backend, seeded))
        rate = len(seeded.api_ids) / seeded.seconds["apis"]
        print(f"  publisher: {len(seeded.api_ids)} APIs in {seeded.seconds['apis']:.1f} s, {rate:.0f} APIs/s")
        caught_up = wait_catalog(control, len(seeded.api_ids), timeout=max(180, args.apis))
        seeded.seconds["catalog"] = caught_up
        print(f"  devportal catalog caught up {caught_up:.1f} s later")
        asyncio.run(seed_devportal(databases["devportal"], apps, per_app, seeded))
        print(
            f"  devportal: {len(seeded.app_ids)} applications in {seeded.seconds['applications']:.1f} s,"
            f" {seeded.subscriptions} subscriptions in {seeded.seconds['subscriptions']:.1f} s,"
            f" {seeded.subscriptions / seeded.seconds['subscriptions']:.0f}/s ({load()})"
        )

        # Cold start of gateway-1: no snapshot cache, every event of the seed still on the bus.
        last_context = f"/scale{args.apis - 1:05d}"
        first = gateways.names[0]
        figures["cold_load"] = load()
        started = time.perf_counter()
        process = gateways.start(first, cold=True)
        with httpx.Client(base_url=gateways.url(first), timeout=5) as gateway:
            deadline = started + 600
            listening = None
            while not serves(gateway, last_context):
                if process.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError("gateway-1 did not serve the last API")
                if listening is None:
                    try:
                        if gateway.get("/health").status_code == 200:
                            listening = time.perf_counter() - started
                    except httpx.HTTPError:
                        pass
                time.sleep(0.01)
            figures["cold_s"] = time.perf_counter() - started
            figures["cold_cpu_s"] = cpu_seconds(process.pid)
        # Until /health answers: the process starting (imports, bus, throttle-sync, its wait for
        # the snapshot of up to APIM_GATEWAY_SNAPSHOT_WAIT); after it: the rest of the snapshot.
        figures["listening_s"] = listening if listening is not None else figures["cold_s"]
        figures["rss_mb"], _ = rss_mb(process.pid)
        print(
            f"gateway-1 cold start to serving the last API: {figures['cold_s']:.2f} s"
            f" ({figures['cold_cpu_s']:.2f} s of CPU; listening after {figures['listening_s']:.2f} s),"
            f" RSS {figures['rss_mb']:.0f} MB"
        )

        second = gateways.names[1]
        gateways.start(second, cold=True)
        clients = [
            stack.enter_context(httpx.Client(base_url=gateways.url(n), timeout=5)) for n in gateways.names
        ]
        wait_served(clients, last_context, timeout=600, poll=0.05)
        # Both replay the seed's events after their snapshot: let them settle before timing deploys.
        settle = wait_served(clients, deploy_one(control, 99999, backend), timeout=900, poll=0.05)
        print(f"both gateways serve everything; a first deploy was served {settle:.1f} s later")
        figures["rss_settled_mb"], figures["rss_peak_mb"] = rss_mb(process.pid)

        figures["deploy_load"] = load()
        times = [
            wait_served(clients, deploy_one(control, n, backend), timeout=60) * 1000
            for n in range(args.deploys)
        ]
        figures["deploy_p50"], figures["deploy_p99"] = statistics.median(times), percentile(times, 0.99)
        print("each deploy until both gateways served it, ms: " + " ".join(f"{t:.0f}" for t in times))

        figures["list_load"] = load()
        wanted = f"scale{args.apis // 2:05d}"
        figures["lists"] = {
            "publisher list, first page": control.timed(f"{PUBLISHER}/apis", {"limit": 25}, args.requests),
            "publisher list, last page": control.timed(
                f"{PUBLISHER}/apis", {"limit": 25, "offset": args.apis - 25}, args.requests
            ),
            "publisher search name:": control.timed(
                f"{PUBLISHER}/apis", {"query": f"name:{wanted}"}, args.requests
            ),
            "publisher search tags:": control.timed(
                f"{PUBLISHER}/apis", {"query": "tags:group7"}, args.requests
            ),
            "devportal list, first page": control.timed(f"{DEVPORTAL}/apis", {"limit": 25}, args.requests),
            "devportal list, last page": control.timed(
                f"{DEVPORTAL}/apis", {"limit": 25, "offset": args.apis - 25}, args.requests
            ),
            "devportal search name:": control.timed(
                f"{DEVPORTAL}/apis", {"query": f"name:{wanted}"}, args.requests
            ),
            "devportal search text": control.timed(
                f"{DEVPORTAL}/apis", {"query": "seeded number"}, args.requests
            ),
        }

        figures["routing_load"] = load()
        artifacts = json.loads(gateways.cache(first).read_text())["publisher"]["artifacts"]
        artifacts = [a for a in artifacts if str(a.get("context", "")).startswith("/scale")]
        artifacts.sort(key=lambda a: str(a["context"]))
        figures["routing"] = routing_cost(artifacts)

    report(args.apis, seeded, figures)


def row(label: str, value: str, goal: str = "", load: str = "") -> None:
    print(f"{label:<52} {value:>12} {goal:>10}   {load}")


def report(count: int, seeded: Seeded, f: dict[str, Any]) -> None:
    print(f"\nScale of the model: {count} APIs (3 operations each), {len(seeded.app_ids)} applications,")
    print(f"{seeded.subscriptions} subscriptions; distributed mode, PostgreSQL, {os.cpu_count()} cores\n")
    row("figure", "measured", "goal", "load")
    row(
        "seed: APIs a second (create, revision, deploy, publish)",
        f"{len(seeded.api_ids) / seeded.seconds['apis']:.1f}",
    )
    row("seed: the DevPortal's catalog caught up after, s", f"{seeded.seconds['catalog']:.1f}")
    row("seed: subscriptions a second", f"{seeded.subscriptions / seeded.seconds['subscriptions']:.1f}")
    row("gateway cold start to the last API, s", f"{f['cold_s']:.2f}", "< 5", f["cold_load"])
    row("  of which before /health answered, s", f"{f['listening_s']:.2f}")
    row("  the gateway's CPU seconds until then", f"{f['cold_cpu_s']:.2f}")
    row("gateway RSS then, MB", f"{f['rss_mb']:.0f}", "< 600")
    row(
        "gateway RSS after the event replay (peak), MB", f"{f['rss_settled_mb']:.0f} ({f['rss_peak_mb']:.0f})"
    )
    row("deploy served by both gateways p50, ms", f"{f['deploy_p50']:.0f}", "", f["deploy_load"])
    row("deploy served by both gateways p99, ms", f"{f['deploy_p99']:.0f}", "< 200")
    for name, (p50, p99, total) in f["lists"].items():
        row(f"{name} p99 (p50 {p50:.0f}) ms [{total}]", f"{p99:.0f}", "< 200", f["list_load"])
    r = f["routing"]
    row("routing, 10 APIs, ns per request", f"{r['small_ns']:.0f}", "", f["routing_load"])
    row(f"routing, {count} APIs, ns per request", f"{r['large_ns']:.0f}", "+2,000")
    row("one more deploy into 10 APIs, ms", f"{r['small_deploy_ms']:.2f}")
    row(f"one more deploy into {count} APIs, ms", f"{r['large_deploy_ms']:.2f}")
    row(f"compile {count} artifacts in process, s", f"{r['compile_s']:.2f}")


if __name__ == "__main__":
    main()
