"""Faults in distributed mode: each test breaks a server or a process, restores it, and checks the
final state (what every gateway serves against the control plane's snapshot), not only that
nothing crashed. The platform is this module's own: these tests stop servers and kill processes.

A Redis outage: the shared rate-limit counters go away with it. Traffic keeps flowing on each
gateway's local share of the limit (limit / 2 gateways), and once Redis is back the limit is exact
across both gateways again."""

from __future__ import annotations

import base64
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest

from apim_common.service_auth import INTERNAL_CLIENT_ID, internal_client_secret
from tests.conftest import infra_value
from tests.e2e.conftest import Platform, run_distributed
from tests.e2e.test_quickstart import QuickStart, _app_token, bearer
from tests.support.processes import backend_process
from tests.support.windows import next_window, window_of

pytestmark = pytest.mark.e2e

SECRET = secrets.token_urlsafe(48)
PUBLISHER = "/api/am/publisher/v4"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def infra(action: str, part: str) -> None:
    subprocess.run(
        [infra_value("APIM_TEST_INFRA_SCRIPT"), action, part], check=True, capture_output=True, timeout=120
    )


def eventually(
    condition: Callable[[], Any], seconds: float, what: str, seen: Callable[[], str] | None = None
) -> Any:
    """Poll until ``condition`` holds; on timeout, fail saying what was awaited and ``seen()``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = condition()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f}s: {what}" + (f"; {seen()}" if seen else ""))
        time.sleep(0.2)


# Processes a test started again: the runner does not know them, so the fixture stops them.
RESTARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with run_distributed(
        tmp_path_factory.mktemp("faults"), {"APIM_SECRET_KEY": SECRET}, keep_going=True
    ) as platform:
        try:
            yield platform
        finally:
            for process in RESTARTED:
                process.terminate()
            for process in RESTARTED:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    with backend_process() as port:
        yield f"http://127.0.0.1:{port}"


class Session:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.control = platform.control_client()
        r = self.control.post(
            "/client-registration/v0.17/register",
            json={"clientName": "faults", "owner": "admin", "grantType": "password client_credentials"},
            headers=basic("admin", "admin"),
        )
        assert r.status_code == 200, r.text
        self.client = r.json()
        self.user = self.user_token()

    def user_token(self, scope: str = "apim:api_view apim:api_create apim:api_publish") -> dict[str, str]:
        r = self.control.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "admin", "password": "admin", "scope": scope},
            headers=basic(self.client["clientId"], self.client["clientSecret"]),
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def service_token(self) -> dict[str, str]:
        r = self.control.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "apim:internal"},
            headers=basic(INTERNAL_CLIENT_ID, internal_client_secret(SECRET)),
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def create_api(self, name: str, backend: str, client: httpx.Client | None = None) -> httpx.Response:
        body = {
            "name": name,
            "context": f"/{name.lower()}",
            "version": "1.0.0",
            "policies": ["Unlimited"],
            "endpointConfig": {"endpoint_type": "http", "production_endpoints": {"url": f"{backend}/echo"}},
            "operations": [{"target": "/open", "verb": "GET", "authType": "None"}],
        }
        return (client or self.control).post(f"{PUBLISHER}/apis", json=body, headers=self.user)

    def deploy(self, api_id: str) -> str:
        r = self.control.post(f"{PUBLISHER}/apis/{api_id}/revisions", json={}, headers=self.user)
        assert r.status_code == 201, r.text
        revision = str(r.json()["id"])
        r = self.control.post(
            f"{PUBLISHER}/apis/{api_id}/deploy-revision",
            params={"revisionId": revision},
            json=[{"name": "Default", "vhost": "localhost"}],
            headers=self.user,
        )
        assert r.status_code == 201, r.text
        return revision

    def control_plane_state(self) -> dict[str, tuple[str, str]]:
        r = self.control.get(
            f"{PUBLISHER}/internal/snapshot", params={"environment": "Default"}, headers=self.service_token()
        )
        assert r.status_code == 200, r.text
        return {a["id"]: (a["revisionId"], a["lifeCycleStatus"]) for a in r.json()["artifacts"]}

    def gateway_state(self, url: str) -> dict[str, tuple[str, str]]:
        r = httpx.get(f"{url}/internal/state", headers=self.service_token(), timeout=10)
        assert r.status_code == 200, r.text
        return {k: (v["revisionId"], v["lifeCycleStatus"]) for k, v in r.json()["apis"].items()}

    def converged(self, seconds: float) -> dict[str, tuple[str, str]]:
        """Wait until every gateway serves exactly the control plane's deployments; return them."""
        expected = self.control_plane_state()
        for url in self.platform.gateway_urls or []:
            eventually(
                lambda u=url: self.gateway_state(u) == expected,
                seconds,
                f"{url} serves {len(expected)} APIs",
                lambda u=url: self.difference(expected, self.gateway_state(u)),
            )
        return expected

    @staticmethod
    def difference(expected: dict[str, tuple[str, str]], served: dict[str, tuple[str, str]]) -> str:
        """What a gateway serves unlike the control plane: missing, extra and other revisions."""
        other = {k: (expected[k], v) for k, v in served.items() if k in expected and expected[k] != v}
        missing = {k: v for k, v in expected.items() if k not in served}
        extra = {k: v for k, v in served.items() if k not in expected}
        return f"missing {missing}, not deployed {extra}, (expected, served) {other}"


@pytest.fixture(scope="module")
def session(faulty: Platform) -> Session:
    return Session(faulty)


LIMIT = 40
WINDOW = 10  # seconds: a subscription tier of 40 requests per 10 s keeps the test short
TIER = "Forty10s"
CALLS = 100  # alternating: 50 per gateway, more than either could be admitted
SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:subscribe apim:app_manage apim:sub_manage "
    "apim:tier_view apim:tier_manage"
)


def fallback(url: str) -> bool:
    """Whether the gateway enforces its local share (``apim_gateway_throttle_fallback``)."""
    text = httpx.get(url, timeout=5).text
    values = re.findall(r"^apim_gateway_throttle_fallback\{[^}]*\} (\S+)$", text, re.M)
    assert values, "the gateway exports no throttle fallback gauge"
    return any(float(v) == 1 for v in values)


def on_leases(url: str) -> bool:
    return not fallback(url)


def entries(url: str) -> str:
    text = httpx.get(url, timeout=5).text
    return " ".join(re.findall(r"^apim_gateway_throttle_fallback_entries_total\{[^}]*\} \S+$", text, re.M))


def show(statuses: list[list[int]]) -> list[str]:
    return ["".join("." if c == 200 else "x" if c == 429 else "!" for c in each) for each in statuses]


def burst(gateways: list[httpx.Client], token: str) -> list[list[int]]:
    """``CALLS`` calls alternating over the gateways, inside one window: each gateway's statuses."""
    statuses: list[list[int]] = [[] for _ in gateways]
    started = window_of(WINDOW)
    for n in range(CALLS):
        r = gateways[n % len(gateways)].get("/redisfault/1.0.0/menu", headers=bearer(token))
        statuses[n % len(gateways)].append(r.status_code)
    assert window_of(WINDOW) == started, "the burst crossed a window boundary"
    return statuses


@pytest.fixture(scope="module")
def gateways(faulty: Platform) -> Iterator[list[httpx.Client]]:
    clients = faulty.gateway_clients()
    yield clients
    for client in clients:
        client.close()


def test_with_redis_down_each_gateway_admits_its_local_share_and_the_shared_limit_is_exact_after(
    faulty: Platform, session: Session, gateways: list[httpx.Client], backend: str
) -> None:
    user = session.user_token(SCOPES)
    control = session.control
    policy = {
        "policyName": TIER,
        "description": f"{LIMIT} requests per {WINDOW} seconds",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "sec", "unitTime": WINDOW, "requestCount": LIMIT},
        },
        "stopOnQuotaReach": True,
    }
    r = control.post("/api/am/admin/v4/throttling/policies/subscription", json=policy, headers=user)
    assert r.status_code == 201, r.text
    body = {
        "name": "RedisFault",
        "context": "/redisfault",
        "version": "1.0.0",
        "policies": [TIER],
        "endpointConfig": {"endpoint_type": "http", "production_endpoints": {"url": f"{backend}/echo"}},
        "operations": [{"target": "/menu", "verb": "GET", "authType": "Application & Application User"}],
    }
    r = control.post(f"{PUBLISHER}/apis", json=body, headers=user)
    assert r.status_code == 201, r.text
    walk = QuickStart()
    walk.api_id, walk.user_token = r.json()["id"], user["Authorization"].removeprefix("Bearer ")
    session.deploy(walk.api_id)
    r = control.post(
        f"{PUBLISHER}/apis/change-lifecycle", params={"apiId": walk.api_id, "action": "Publish"}, headers=user
    )
    assert r.status_code == 200, r.text
    eventually(
        lambda: control.get(f"/api/am/devportal/v3/apis/{walk.api_id}").status_code == 200,
        30,
        "the published API reaches the devportal",
    )
    token, _ = _app_token(control, walk, "RedisFaultApp", "Unlimited", subscription_tier=TIER)
    urls = faulty.gateway_metrics_urls or []
    assert len(gateways) == 2

    # every gateway knows the tier: a long enough run of calls is refused with the subscription's code
    def refused(gateway: httpx.Client) -> bool:
        for _ in range(LIMIT + 1):
            r = gateway.get("/redisfault/1.0.0/menu", headers=bearer(token))
            assert r.status_code < 500, r.text
            if r.status_code == 429:
                return bool(r.json()["code"] == "900804")
        return False

    for gateway in gateways:
        eventually(partial(refused, gateway), 30, "the gateway enforces the new subscription tier")

    next_window(WINDOW)
    before = burst(gateways, token)
    assert sum(s.count(200) for s in before) == LIMIT, before

    infra("stop", "redis")
    try:
        for url in urls:
            eventually(partial(fallback, url), 15, f"{url} on its local share")
        next_window(WINDOW)
        during = burst(gateways, token)
    finally:
        infra("start", "redis")
    statuses = [code for each in during for code in each]
    assert set(statuses) <= {200, 429}, during
    # each gateway admits its local share (limit / 2 gateways), then refuses
    assert [s.count(200) for s in during] == [LIMIT // 2, LIMIT // 2], during
    for each in during:
        assert each.index(429) == LIMIT // 2, each
        assert set(each[LIMIT // 2 :]) == {429}, each

    for url in urls:
        eventually(partial(on_leases, url), 30, f"{url} back on shared leases")
    # From the first full window back on leases, every window admits exactly the limit.
    for _ in range(2):
        next_window(WINDOW)
        after = burst(gateways, token)
        assert {code for each in after for code in each} == {200, 429}, after
        assert sum(s.count(200) for s in after) == LIMIT, (show(after), [entries(u) for u in urls])


def restart(platform: Platform, name: str) -> subprocess.Popen[bytes]:
    """Start a process again with the command and environment it was first started with."""
    spec = platform.processes[name]
    process = subprocess.Popen(spec["argv"], env=spec["env"])
    RESTARTED.append(process)
    platform.processes[name] = {**spec, "pid": process.pid}
    url = f"http://127.0.0.1:{spec['env']['APIM_PORT']}"
    eventually(lambda: httpx.get(f"{url}/health", timeout=1).status_code == 200, 60, f"{name} restarted")
    return process


def health(platform: Platform, name: str) -> bool:
    url = f"http://127.0.0.1:{platform.processes[name]['env']['APIM_PORT']}/health"
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def kill(platform: Platform, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
    os.kill(int(platform.processes[name]["pid"]), sig)
    eventually(lambda: not health(platform, name), 20, f"{name} stopped")


def test_a_control_plane_service_killed_mid_burst_loses_no_committed_change(
    faulty: Platform, session: Session, backend: str
) -> None:
    created: list[str] = []
    restarted: subprocess.Popen[bytes] | None = None

    def create(n: int) -> httpx.Response | None:
        with faulty.control_client() as client:
            try:
                return session.create_api(f"Burst{n}", backend, client)
            except httpx.HTTPError:
                return None

    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(create, n) for n in range(60)]
            time.sleep(0.5)
            kill(faulty, "publisher")
            results = [f.result() for f in futures]
        created = [r.json()["id"] for r in results if r is not None and r.status_code == 201]
        assert 0 < len(created) < 60, "the kill should land mid-burst"
        restarted = restart(faulty, "publisher")
        listed = session.control.get(f"{PUBLISHER}/apis", params={"limit": 1000}, headers=session.user).json()
        by_id = {a["id"]: a for a in listed["list"]}
        assert set(created) <= set(by_id), "an API answered 201 is missing after the restart"
        # nothing half-made: every burst API there is whole, with its operation
        for api_id in [i for i, a in by_id.items() if a["name"].startswith("Burst")]:
            r = session.control.get(f"{PUBLISHER}/apis/{api_id}", headers=session.user)
            assert r.status_code == 200, r.text
            assert [(o["verb"], o["target"]) for o in r.json()["operations"]] == [("GET", "/open")]
        # the outbox delivers their events: the devportal learns of each API created
        for api_id in created[:3]:
            session.deploy(api_id)
        session.converged(60)
    finally:
        if restarted is None and not health(faulty, "publisher"):
            restart(faulty, "publisher")


def test_a_gateway_restarted_while_the_control_plane_is_down_serves_its_cached_model_and_catches_up(
    faulty: Platform, session: Session, backend: str
) -> None:
    api_id = session.create_api("Cached", backend).json()["id"]
    session.deploy(api_id)
    session.converged(60)
    gateway = (faulty.gateway_urls or [])[0]
    control = ["key-manager", "publisher", "devportal", "admin"]
    restarted: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in control:
            kill(faulty, name)
        kill(faulty, "gateway-1", signal.SIGTERM)
        restarted["gateway-1"] = restart(faulty, "gateway-1")
        r = httpx.get(f"{gateway}/cached/1.0.0/open", timeout=10)
        assert r.status_code == 200, r.text
    finally:
        for name in control:
            if not health(faulty, name):
                restarted[name] = restart(faulty, name)
        if not health(faulty, "gateway-1"):
            restart(faulty, "gateway-1")
    # caught up: a change made now reaches the restarted gateway
    revision = session.deploy(api_id)
    expected = session.converged(60)
    assert expected[api_id][0] == revision


# Last: the test broker (Tansu, memory storage) loses its topics on restart and then serves the
# recreated ones unreliably; the gateways converge through their resync, later tests could not.
def test_with_the_broker_down_during_500_changes_every_gateway_ends_with_the_control_planes_state(
    faulty: Platform, session: Session, backend: str
) -> None:
    ids = [session.create_api(f"Outage{n}", backend).json()["id"] for n in range(20)]
    session.converged(60)
    changes = 0
    infra("stop", "kafka")
    try:
        for n in range(60):
            r = session.create_api(f"During{n}", backend)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            changes += 1
        for _ in range(4):
            for api_id in ids[:60]:
                session.deploy(api_id)
                changes += 2
        assert changes >= 500
    finally:
        infra("start", "kafka")
    expected = session.converged(120)
    assert set(ids[:60]) <= set(expected)
