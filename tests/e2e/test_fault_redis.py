"""A Redis outage in distributed mode: the shared rate-limit counters go away with it. Traffic keeps
flowing on each gateway's local share of the limit (limit / 2 gateways), and once Redis is back the
limit is exact across both gateways again. The platform is this module's own: the test stops Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import httpx
import pytest

from tests.e2e.conftest import Platform, run_distributed
from tests.e2e.test_faults import PUBLISHER, SECRET, Session, eventually, infra
from tests.e2e.test_quickstart import QuickStart, _app_token, bearer
from tests.support.processes import backend_process
from tests.support.windows import next_window, window_of

pytestmark = pytest.mark.e2e

LIMIT = 40
WINDOW = 10  # seconds: a subscription tier of 40 requests per 10 s keeps the test short
TIER = "Forty10s"
CALLS = 100  # alternating: 50 per gateway, more than either could be admitted
SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:subscribe apim:app_manage apim:sub_manage "
    "apim:tier_view apim:tier_manage"
)


@pytest.fixture(scope="module")
def redis_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with run_distributed(tmp_path_factory.mktemp("redis-fault"), {"APIM_SECRET_KEY": SECRET}) as platform:
        yield platform


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    with backend_process() as port:
        yield f"http://127.0.0.1:{port}"


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
def session(redis_platform: Platform) -> Iterator[Session]:
    session = Session(redis_platform)
    yield session
    session.control.close()


@pytest.fixture(scope="module")
def gateways(redis_platform: Platform) -> Iterator[list[httpx.Client]]:
    clients = redis_platform.gateway_clients()
    yield clients
    for client in clients:
        client.close()


def test_with_redis_down_each_gateway_admits_its_local_share_and_the_shared_limit_is_exact_after(
    redis_platform: Platform, session: Session, gateways: list[httpx.Client], backend: str
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
    urls = redis_platform.gateway_metrics_urls or []
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
