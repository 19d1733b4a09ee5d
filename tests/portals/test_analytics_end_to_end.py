"""Analytics end to end: traffic of several applications through the standalone gateway reaches
the analytics service over the bus, and the same counts, error categories and latency ordering
are read back from the query API and from each analytics page of the Admin portal in Chromium.

Everything is real: the standalone runner (gateway, in-process bus, analytics consumer on SQLite,
query API, portals), a backend started by the test, and Debian's Chromium. The expected figures
are what the test's own client saw the gateway answer, so a request lost or counted twice on the
way, or filed under the wrong category, fails the test.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.portals.conftest import Standalone, basic, password_token, production_keys, publish_api, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

QUERY = "/api/am/analytics/v1/query"
DEVPORTAL = "/api/am/devportal/v3"
FAST, SLOW = "AnalyticsFast", "AnalyticsSlow"
SLOW_SECONDS = 0.15  # what the slow API's backend takes to answer a success
TIMEOUT_MS = 400  # the slow API's endpoint timeout; one call waits longer and is cut
# WSO2's fault category of each refusal the gateway answers itself; a backend's own error status
# carries none (a target error).
CATEGORY_OF_CODE = {
    "900902": "AUTH",  # no credentials: 401
    "900908": "AUTH",  # not subscribed: 403
    "900803": "THROTTLED",  # the application's tier: 429
    "101504": "TARGET_CONNECTIVITY",  # the backend did not answer in time: 504
    "900906": "OTHER",  # no such resource: 404
}


@dataclass
class Traffic:
    """What the test's client saw: per API, the status and gateway error code of each call."""

    apis: dict[str, str] = field(default_factory=dict)  # name -> id
    calls: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # API name -> answers
    by_application: Counter[str] = field(default_factory=Counter)

    def count(self, name: str) -> int:
        return len(self.calls[name])

    def categories(self, name: str) -> Counter[str]:
        """Errors per fault category; a backend's error status under ""."""
        found: Counter[str] = Counter()
        for status, code in self.calls[name]:
            if code:
                found[CATEGORY_OF_CODE[code]] += 1
            elif status >= 400:
                found[""] += 1
        return found


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _application(control: httpx.Client, auth: dict[str, str], name: str, tier: str, apis: list[str]) -> str:
    """A new application on ``tier`` subscribed to ``apis``: its client-credentials token."""
    r = control.post(
        f"{DEVPORTAL}/applications",
        json={"name": name, "throttlingPolicy": tier, "tokenType": "JWT"},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["applicationId"]
    for api_id in apis:
        body = {"applicationId": app_id, "apiId": api_id, "throttlingPolicy": "Unlimited"}
        r = control.post(f"{DEVPORTAL}/subscriptions", json=body, headers=auth)
        assert r.status_code == 201, r.text
    keys = production_keys(control, auth, app_id)
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic(keys["consumerKey"], keys["consumerSecret"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _drive(gateway: httpx.Client, traffic: Traffic, api: str, path: str, app: str, token: str | None) -> int:
    r = gateway.get(path, headers=_bearer(token) if token else {})
    code = ""
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        code = str(r.json().get("code") or "")
    # A backend's error status is passed through: only the gateway's own refusals carry our codes.
    traffic.calls.setdefault(api, []).append((r.status_code, code if code in CATEGORY_OF_CODE else ""))
    if app:
        traffic.by_application[app] += 1
    return r.status_code


@pytest.fixture(scope="module")
def traffic(standalone: Standalone, backend: str) -> Iterator[Traffic]:
    found = Traffic()
    with (
        httpx.Client(base_url=standalone.control_url, timeout=30) as control,
        httpx.Client(base_url=standalone.gateway_url, timeout=30) as gateway,
    ):
        scopes = "apim:api_view apim:api_create apim:api_publish"
        publisher = _bearer(password_token(control, "analytics_e2e_publisher", "admin", "admin", scopes))
        operation = {"verb": "GET", "authType": "Application & Application User"}
        for name, context, endpoint, targets in (
            (FAST, "/an-fast", {"url": backend}, ["/echo", "/status/{code}"]),
            (SLOW, "/an-slow", {"url": backend, "config": {"actionDuration": str(TIMEOUT_MS)}}, ["/slow"]),
        ):
            body = {
                "name": name,
                "context": context,
                "version": "1.0.0",
                "policies": ["Unlimited"],
                "endpointConfig": {"endpoint_type": "http", "production_endpoints": endpoint},
                "operations": [{**operation, "target": target} for target in targets],
            }
            found.apis[name] = publish_api(control, publisher, body, None)
        developer = _bearer(
            password_token(
                control, "analytics_e2e_developer", "admin", "admin", "apim:subscribe apim:app_manage"
            )
        )
        both = list(found.apis.values())
        gold = _application(control, developer, "AnalyticsGoldApp", "Unlimited", both)
        capped = _application(control, developer, "AnalyticsCappedApp", "10PerMin", [found.apis[FAST]])
        stranger = _application(control, developer, "AnalyticsStrangerApp", "Unlimited", [])

        def fast(path: str, app: str, token: str | None) -> int:
            return _drive(gateway, found, FAST, f"/an-fast/1.0.0{path}", app, token)

        def slow(path: str, app: str, token: str | None) -> int:
            return _drive(gateway, found, SLOW, f"/an-slow/1.0.0{path}", app, token)

        deadline = time.monotonic() + 15  # the deployments and subscriptions reach the gateway
        for probe, path in ((slow, "/slow?s=0"), (fast, "/echo")):
            while (status := probe(path, "AnalyticsGoldApp", gold)) != 200:
                if status == 404:  # not deployed yet: no API, so no event; not counted
                    api = SLOW if probe is slow else FAST
                    found.calls[api].pop()
                    found.by_application["AnalyticsGoldApp"] -= 1
                assert time.monotonic() < deadline, f"{path} answered {status}"
                time.sleep(0.05)

        for _ in range(5):
            assert fast("/echo", "AnalyticsGoldApp", gold) == 200
        for _ in range(2):
            assert fast("/status/502", "AnalyticsGoldApp", gold) == 502  # the backend's own error
        assert fast("/echo", "", None) == 401
        assert fast("/nowhere", "", gold) == 404  # refused before authentication: no application
        assert slow("/slow", "AnalyticsStrangerApp", stranger) == 403
        for _ in range(3):
            assert slow(f"/slow?s={SLOW_SECONDS}", "AnalyticsGoldApp", gold) == 200
        assert slow("/slow?s=2", "AnalyticsGoldApp", gold) == 504
        refused = 0
        for _ in range(25):  # ten a minute: the eleventh is refused, unless a minute began meanwhile
            refused += fast("/echo", "AnalyticsCappedApp", capped) == 429
            if refused == 2:
                break
        assert refused == 2
        yield found


def _query(control: httpx.Client, admin: dict[str, str], **params: str) -> list[dict[str, object]]:
    now = time.time()  # the pages' window: the last 24 hours
    window = {"from": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 86400)),
              "to": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60))}  # fmt: skip
    r = control.get(QUERY, params={**window, **params}, headers=admin)
    assert r.status_code == 200, r.text
    rows: list[dict[str, object]] = r.json()["list"]
    return rows


@pytest.fixture(scope="module")
def admin(control: httpx.Client) -> dict[str, str]:
    return _bearer(password_token(control, "analytics_e2e_admin", "admin", "admin", "apim:admin"))


@pytest.fixture(scope="module")
def counted(traffic: Traffic, control: httpx.Client, admin: dict[str, str]) -> dict[str, int]:
    """The request counts per API once every call has reached the rollups."""
    expected = {name: traffic.count(name) for name in (FAST, SLOW)}
    deadline = time.monotonic() + 10
    while True:
        rows = _query(control, admin, metrics="requestCount", dimensions="api", granularity="minute")
        counts = {
            str(row["apiName"]): int(str(row["requestCount"])) for row in rows if row["apiName"] in expected
        }
        if counts == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_the_query_api_counts_every_call_once_per_api_and_application(
    traffic: Traffic, counted: dict[str, int], control: httpx.Client, admin: dict[str, str]
) -> None:
    assert counted == {FAST: traffic.count(FAST), SLOW: traffic.count(SLOW)}
    rows = _query(control, admin, metrics="requestCount", dimensions="application", granularity="hour")
    by_app = {str(row["applicationName"]): row["requestCount"] for row in rows}
    for name, count in traffic.by_application.items():
        assert by_app[name] == count, name


def test_the_query_api_files_each_error_under_its_wso2_category(
    traffic: Traffic, counted: dict[str, int], control: httpx.Client, admin: dict[str, str]
) -> None:
    for name in (FAST, SLOW):
        rows = _query(
            control,
            admin,
            metrics="errorCount",
            dimensions="errorType",
            granularity="hour",
            apiId=traffic.apis[name],
        )
        found = {str(row["errorType"] or ""): row["errorCount"] for row in rows if row["errorCount"]}
        assert found == dict(traffic.categories(name)), name
    assert set(traffic.categories(FAST)) == {"", "AUTH", "OTHER", "THROTTLED"}
    assert set(traffic.categories(SLOW)) == {"AUTH", "TARGET_CONNECTIVITY"}


def test_the_query_api_finds_the_slow_api_slower_than_the_fast_one(
    counted: dict[str, int], control: httpx.Client, admin: dict[str, str]
) -> None:
    rows = _query(control, admin, metrics="latencyP50,latencyP95", dimensions="api", granularity="hour")
    found = {str(row["apiName"]): row for row in rows if row["apiName"] in (FAST, SLOW)}
    p50 = {name: float(str(row["latencyP50"])) for name, row in found.items()}
    p95 = {name: float(str(row["latencyP95"])) for name, row in found.items()}
    # Half of the slow API's calls waited for its backend (150 ms) or for its timeout (400 ms).
    assert p50[SLOW] > SLOW_SECONDS * 1000 * 2 / 3
    assert p95[SLOW] > TIMEOUT_MS * 3 / 4
    assert p50[FAST] < p50[SLOW]
    assert p95[FAST] < p95[SLOW]


def _sign_in(page: Page) -> None:
    page.goto("/admin/")
    page.fill("#username", "admin")
    page.fill("#password", "admin")
    page.click("button[type=submit]")
    expect(page.locator("#signed-in-user")).to_have_text("admin")


def _rows(page: Page, table: str) -> dict[str, list[str]]:
    """The cells of each row of ``table`` by the text of its first cell."""
    found: dict[str, list[str]] = {}
    for row in page.locator(f"#{table} tbody tr").all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        if cells:
            found[cells[0]] = cells[1:]
    return found


def test_each_analytics_page_shows_the_same_figures_in_chromium(
    traffic: Traffic, counted: dict[str, int], browser: Browser, standalone: Standalone,
    control: httpx.Client, admin: dict[str, str],
) -> None:  # fmt: skip
    context = browser.new_context(base_url=standalone.control_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    fast, slow = f"{FAST} 1.0.0", f"{SLOW} 1.0.0"
    try:
        page = context.new_page()
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        _sign_in(page)

        page.goto("/admin/analytics?period=24h")
        expect(page.locator("#chart-timeline")).to_have_attribute("data-rendered", "true")
        busiest = _rows(page, "busiest-apis")
        assert int(busiest[fast][0]) == traffic.count(FAST)
        assert int(busiest[slow][0]) == traffic.count(SLOW)
        screenshot(page, "analytics-e2e-overview")

        page.goto("/admin/analytics/traffic?period=24h&by=api")
        expect(page.locator("#chart-traffic")).to_have_attribute("data-rendered", "true")
        by_api = _rows(page, "traffic-rows")
        assert (int(by_api[fast][0]), int(by_api[slow][0])) == (traffic.count(FAST), traffic.count(SLOW))
        screenshot(page, "analytics-e2e-traffic")
        page.goto("/admin/analytics/traffic?period=24h&by=application")
        by_application = _rows(page, "traffic-rows")
        for name, count in traffic.by_application.items():
            assert int(by_application[name][0]) == count, name

        page.goto("/admin/analytics/errors?period=24h")
        expect(page.locator("#chart-error-split")).to_have_attribute("data-rendered", "true")
        split = _rows(page, "error-split")
        for name, label in ((FAST, fast), (SLOW, slow)):
            categories = traffic.categories(name)
            target = categories.pop("", 0)
            assert [int(cell) for cell in split[label]] == [sum(categories.values()), target], name
        # The categories of the whole tenant, as the query API counts them.
        rows = _query(control, admin, metrics="errorCount", dimensions="errorType", granularity="hour")
        tenant = {
            str(row["errorType"] or "(backend status)"): row["errorCount"]
            for row in rows
            if row["errorCount"]
        }
        assert {label: int(cells[0]) for label, cells in _rows(page, "error-kinds").items()} == tenant
        assert {"AUTH", "THROTTLED", "TARGET_CONNECTIVITY", "OTHER"} <= set(tenant)
        screenshot(page, "analytics-e2e-errors")

        page.goto("/admin/analytics/latency?period=24h")
        expect(page.locator("#chart-latency")).to_have_attribute("data-rendered", "true")
        slowest = list(_rows(page, "slowest-apis"))
        assert slow in slowest
        if fast in slowest:  # ten APIs at most: the fast one may be crowded out by other tests' APIs
            assert slowest.index(slow) < slowest.index(fast)
        screenshot(page, "analytics-e2e-latency")
        assert script_errors == []
    finally:
        context.close()
