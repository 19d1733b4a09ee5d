"""The analytics pages of the portals over the real analytics service: the portals read its query
API with the signed-in user's token, and the query API decides what that user sees.

One server for the module: the analytics service (SQLite, fed request events through its bus)
and the portals, whose HTTP client reaches the query API in-process; the portals answer on a real
port, so the pages are read over HTTP and drawn in Debian's Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from playwright.sync_api import Browser, expect

from apim_analytics.app import create_app as create_analytics
from apim_analytics.settings import Settings as AnalyticsSettings
from apim_common.events import InProcessBus
from apim_common.events.topics import Topic
from apim_portals.app import create_app as create_portals
from apim_portals.client import Platform
from apim_portals.sessions import COOKIE, Tokens
from apim_portals.settings import Settings as PortalsSettings
from tests.analytics.support import request_event
from tests.portals.conftest import screenshot
from tests.support.apps import static_verifier
from tests.support.tokens import TokenFactory

OTHER_TENANT = "acme.com"
# Ten more APIs, each slower than the one before, in buckets of their own (milliseconds).
SERVICE_LATENCIES = (15, 30, 45, 60, 90, 120, 180, 250, 400, 600)


def _events(now: float) -> list[Any]:
    at = now - 2 * 3600  # long merged into hours and days
    pets: dict[str, Any] = {
        "apiId": "api-pets",
        "apiName": "Pets",
        "apiVersion": "1.0.0",
        "responseLatency": 3.0,
    }
    orders: dict[str, Any] = {"apiId": "api-orders", "apiName": "Orders", "apiVersion": "2.0.0"}
    slow_orders: dict[str, Any] = {**orders, "responseLatency": 900.0, "backendLatency": 850.0}
    events = [
        *(request_event(at=at + n, **pets, backendLatency=1.0) for n in range(6)),
        # refused by the gateway: proxy errors
        *(request_event(at=at + n, **pets, proxyResponseCode=401, errorType="AUTH") for n in range(2)),
        *(request_event(at=at + n, **slow_orders) for n in range(3)),
        # answered with 500 by the backend: target errors
        *(request_event(at=at + n, **slow_orders, proxyResponseCode=500) for n in range(2)),
        *(
            request_event(
                at=at,
                apiId=f"api-svc-{ms}",
                apiName=f"Svc{ms}",
                apiVersion="1.0.0",
                responseLatency=float(ms),
                backendLatency=float(ms) - 3,
            )
            for ms in SERVICE_LATENCIES
        ),
        # carol's own application, on an API of its own
        request_event(
            at=at,
            apiId="api-carol",
            apiName="CarolApi",
            applicationId="app-carol",
            applicationName="Mine",
            applicationOwner="carol",
        ),
        *(
            request_event(tenant=OTHER_TENANT, at=at + n, apiId="api-acme", apiName="AcmeSecret")
            for n in range(5)
        ),
    ]
    return events


@dataclass
class Served:
    url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, user: str, path: str) -> httpx.Response:
        with httpx.Client(base_url=self.url, cookies={COOKIE: self.cookies[user]}, timeout=30) as http:
            return http.get(path)


# user -> (username, tenant, scopes of the token)
USERS = {
    "admin": ("admin", "carbon.super", "apim:admin"),
    "alice": ("alice", "carbon.super", "apim:api_view"),
    "acme": ("alice@acme.com", OTHER_TENANT, "apim:api_view"),
    "carol": ("carol", "carbon.super", "apim:subscribe"),
}


async def _serve(tmp: Path, ready: threading.Event, stop: asyncio.Event, served: list[Served]) -> None:
    tokens = TokenFactory()
    bus = InProcessBus()
    analytics = create_analytics(
        AnalyticsSettings(mode="development", database_url=f"sqlite+aiosqlite:///{tmp / 'analytics.db'}"),
        bus=bus,
    )
    settings = PortalsSettings(mode="development", analytics_url="http://analytics")
    portals = create_portals(settings)
    async with contextlib.AsyncExitStack() as stack:
        service = await stack.enter_async_context(LifespanManager(analytics, startup_timeout=30))
        analytics.state.token_verifier = static_verifier(tokens)
        await bus.start()
        stack.push_async_callback(bus.stop)
        for event in _events(time.time()):
            await bus.publish(str(Topic.ANALYTICS), event)
        await bus.drain()
        portal = await stack.enter_async_context(LifespanManager(portals, startup_timeout=30))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://analytics")
        )
        portals.state.platform = Platform(http, settings)
        result = Served("")
        for user, (username, tenant, scopes) in USERS.items():
            session_id, session = portals.state.sessions.create()
            session.username, session.tenant = username, tenant
            token = tokens.mint(username, scopes, tenant=tenant)
            session.tokens = Tokens(token, None, time.time() + 3600, frozenset(scopes.split()))
            result.cookies[user] = session_id
        server = uvicorn.Server(
            uvicorn.Config(portal.app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        result.url = f"http://127.0.0.1:{port}"
        served.append(result)
        ready.set()
        await stop.wait()
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    ready = threading.Event()
    found: list[Served] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop.run_until_complete(_serve(tmp_path_factory.mktemp("analytics-pages"), ready, stop, found))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(120)
    if errors or not found:
        raise RuntimeError("the analytics pages' server did not start") from (errors[0] if errors else None)
    yield found[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)
    loop.close()


class _Table(HTMLParser):
    """The cell texts of each row of one table, by the table's id."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self._inside = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self._inside = True
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag == "td":
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._inside = False


def table(html: str, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(html)
    return [row for row in parser.rows if row]


def test_publisher_traffic_page_shows_the_counts_of_its_apis(served: Served) -> None:
    r = served.get("alice", "/publisher/analytics/traffic?period=24h&by=api")
    assert r.status_code == 200, r.text
    counts = {row[0]: int(row[1]) for row in table(r.text, "traffic-rows")}
    assert counts["Pets 1.0.0"] == 8
    assert counts["Orders 2.0.0"] == 5
    assert counts["Svc600 1.0.0"] == 1
    assert 'data-chart="chart-traffic-data"' in r.text


def test_errors_page_splits_proxy_and_target_errors(served: Served) -> None:
    r = served.get("alice", "/publisher/analytics/errors?period=24h")
    assert r.status_code == 200, r.text
    split = {row[0]: (int(row[1]), int(row[2])) for row in table(r.text, "error-split")}
    assert split == {"Pets 1.0.0": (2, 0), "Orders 2.0.0": (0, 2)}
    assert sorted(table(r.text, "error-kinds")) == [["(backend status)", "2"], ["AUTH", "2"]]
    by_status = served.get("alice", "/publisher/analytics/errors?period=24h&by=status")
    assert sorted(table(by_status.text, "error-kinds")) == [["401", "2"], ["500", "2"]]


def test_latency_page_lists_the_slowest_apis_by_p95(served: Served) -> None:
    r = served.get("admin", "/admin/analytics/latency?period=7d")
    assert r.status_code == 200, r.text
    rows = table(r.text, "slowest-apis")
    expected = ["Orders 2.0.0", *(f"Svc{ms} 1.0.0" for ms in reversed(SERVICE_LATENCIES[1:]))]
    assert [row[0] for row in rows] == expected
    orders = rows[0]
    assert 750 < float(orders[3]) <= 1000  # backend p95
    assert 2 < float(orders[4]) <= 5  # gateway p95


def test_a_publisher_does_not_see_another_tenants_apis(served: Served) -> None:
    ours = served.get("alice", "/publisher/analytics/traffic?period=24h")
    theirs = served.get("acme", "/publisher/analytics/traffic?period=24h")
    assert "AcmeSecret" not in ours.text
    assert [row[:2] for row in table(theirs.text, "traffic-rows")] == [["AcmeSecret 1.0.0", "5"]]


def test_a_developer_sees_only_its_own_applications_in_the_devportal(served: Served) -> None:
    r = served.get("carol", "/devportal/analytics/traffic?period=24h&by=application")
    assert r.status_code == 200, r.text
    assert [row[:2] for row in table(r.text, "traffic-rows")] == [["Mine", "1"]]


@pytest.mark.e2e
@pytest.mark.browser
def test_admin_overview_page_renders_with_charts(served: Served, browser: Browser) -> None:
    context = browser.new_context(base_url=served.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": COOKIE, "value": served.cookies["admin"], "url": served.url}])
    try:
        page = context.new_page()
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto("/admin/analytics?period=24h")
        expect(page.locator("#total-requests")).to_have_text("24")
        chart = page.locator("#chart-timeline")
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("canvas")).to_be_visible()
        expect(page.locator("#busiest-apis tbody tr").first).to_contain_text("Pets")
        screenshot(page, "analytics-admin-overview")
        page.goto("/admin/analytics/errors?period=24h")
        expect(page.locator("#chart-error-split")).to_have_attribute("data-rendered", "true")
        screenshot(page, "analytics-admin-errors")
        page.goto("/admin/analytics/latency?period=30d")
        expect(page.locator("#chart-latency")).to_have_attribute("data-rendered", "true")
        page.goto("/publisher/analytics/traffic?period=30d&by=resource")
        expect(page.locator("#chart-traffic")).to_have_attribute("data-rendered", "true")
        assert script_errors == []
    finally:
        context.close()
