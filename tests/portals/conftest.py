"""The standalone runner, a real backend, APIs published through the Publisher REST API, and
Debian's headless Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.processes import backend_process
from tests.support.standalone import run_standalone

CHROMIUM = os.environ.get("APIM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
PUBLISHER_SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:api_manage apim:document_create apim:document_manage"
)
GUIDE = """# Ordering pizza

Call `GET /menu` first.

| size | price |
|------|-------|
| large | 12 |

<script>alert("x")</script>
"""


@dataclass
class Standalone:
    control_url: str
    gateway_url: str
    process: subprocess.Popen[str]
    log: Path
    apis: dict[str, str] = field(default_factory=dict)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def publisher_token(control: httpx.Client) -> dict[str, str]:
    client = control.post(
        "/client-registration/v0.17/register",
        json={
            "clientName": "portal_tests_publisher",
            "owner": "admin",
            "grantType": "password refresh_token",
            "saasApp": True,
        },
        headers=basic("admin", "admin"),
    )
    assert client.status_code == 200, client.text
    creds = client.json()
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": "admin", "password": "admin", "scope": PUBLISHER_SCOPES},
        headers=basic(creds["clientId"], creds["clientSecret"]),
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def publish_api(control: httpx.Client, auth: dict[str, str], body: dict[str, Any], guide: str | None) -> str:
    """Create, document, revise, deploy and publish an API, as the quick start does."""
    r = control.post(f"{PUBLISHER}/apis", json=body, headers=auth)
    assert r.status_code == 201, r.text
    api_id: str = r.json()["id"]
    if guide is not None:
        doc = {"name": "Ordering guide", "type": "HOWTO", "sourceType": "MARKDOWN", "inlineContent": guide}
        r = control.post(f"{PUBLISHER}/apis/{api_id}/documents", json=doc, headers=auth)
        assert r.status_code == 201, r.text
    deploy_revision(control, auth, api_id)
    r = control.post(
        f"{PUBLISHER}/apis/change-lifecycle", params={"apiId": api_id, "action": "Publish"}, headers=auth
    )
    assert r.status_code == 200, r.text
    return api_id


def deploy_revision(control: httpx.Client, auth: dict[str, str], api_id: str) -> list[dict[str, Any]]:
    """A new revision of the API deployed to Default: the deployments, as the Publisher answers."""
    r = control.post(f"{PUBLISHER}/apis/{api_id}/revisions", json={"description": "first"}, headers=auth)
    assert r.status_code == 201, r.text
    r = control.post(
        f"{PUBLISHER}/apis/{api_id}/deploy-revision",
        params={"revisionId": r.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=auth,
    )
    assert r.status_code == 201, r.text
    deployments: list[dict[str, Any]] = r.json()
    return deployments


def publish(control: httpx.Client, auth: dict[str, str], api_id: str) -> None:
    """Publish the API, retried for 10 s while the Publisher refuses (its deployment still on its way)."""
    deadline = time.monotonic() + 10
    params = {"apiId": api_id, "action": "Publish"}
    while (
        r := control.post(f"{PUBLISHER}/apis/change-lifecycle", params=params, headers=auth)
    ).status_code != 200:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.1)


def subscribed_app(
    control: httpx.Client, client_name: str, app_name: str, api_id: str, tier: str
) -> tuple[dict[str, str], str]:
    """A new application of admin's subscribed to the API on ``tier``, the subscription retried for
    10 s while the API reaches the Developer Portal: admin's DevPortal headers and the application's id."""
    user = {
        "Authorization": "Bearer "
        + password_token(control, client_name, "admin", "admin", "apim:subscribe apim:app_manage")
    }
    r = control.post(
        f"{DEVPORTAL}/applications",
        json={"name": app_name, "throttlingPolicy": "Unlimited", "tokenType": "JWT"},
        headers=user,
    )
    assert r.status_code == 201, r.text
    app_id: str = r.json()["applicationId"]
    subscribe = {"applicationId": app_id, "apiId": api_id, "throttlingPolicy": tier}
    deadline = time.monotonic() + 10
    while (r := control.post(f"{DEVPORTAL}/subscriptions", json=subscribe, headers=user)).status_code != 201:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.1)
    return user, app_id


def wait_for_catalog(control: httpx.Client, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = control.get("/api/am/devportal/v3/apis")
        if r.status_code == 200 and r.json()["pagination"]["total"] >= count:
            return
        time.sleep(0.1)
    raise AssertionError("the published APIs never reached the devportal catalog")


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with run_standalone(tmp_path_factory.mktemp("portals")) as runner:
        yield Standalone(runner.control_url, runner.gateway_url, runner.process, runner.log)


def production_keys(control: httpx.Client, user: dict[str, str], app_id: str) -> dict[str, Any]:
    """The application's production keys for client credentials, as generate-keys answers."""
    body = {
        "keyType": "PRODUCTION",
        "keyManager": "Resident Key Manager",
        "grantTypesToBeSupported": ["client_credentials"],
    }
    r = control.post(f"{DEVPORTAL}/applications/{app_id}/generate-keys", json=body, headers=user)
    assert r.status_code == 200, r.text
    keys: dict[str, Any] = r.json()
    return keys


@pytest.fixture(scope="session")
def backend() -> Iterator[str]:
    with backend_process() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def published(standalone: Standalone, backend: str) -> Standalone:
    """PizzaShackAPI (tags, a markdown guide, OAuth2 and API keys in its own header) and two more."""
    with httpx.Client(base_url=standalone.control_url, timeout=30) as control:
        auth = publisher_token(control)
        # APIs that modules before this one published are in the catalog already.
        before = control.get("/api/am/devportal/v3/apis").json()["pagination"]["total"]
        endpoint = {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{backend}/echo"},
            "sandbox_endpoints": {"url": f"{backend}/echo"},
        }
        operation = {"target": "/menu", "verb": "GET", "authType": "Application & Application User"}
        standalone.apis["PizzaShackAPI"] = publish_api(
            control,
            auth,
            {
                "name": "PizzaShackAPI",
                "description": "Order pizza from the shack around the corner.",
                "context": "/pizza",
                "version": "1.0.0",
                "tags": ["food", "pizza"],
                "policies": ["Unlimited", "Bronze"],
                "securityScheme": ["oauth2", "api_key"],
                "apiKeyHeader": "X-Pizza-Key",
                "businessInformation": {"businessOwner": "Shack Ltd"},
                "endpointConfig": endpoint,
                "operations": [operation],
            },
            GUIDE,
        )
        for name, context, tags in (
            ("WeatherAPI", "/weather", ["climate"]),
            ("BooksAPI", "/books", ["reading"]),
        ):
            standalone.apis[name] = publish_api(
                control,
                auth,
                {
                    "name": name,
                    "description": f"The {name} for the portal tests.",
                    "context": context,
                    "version": "2.0.0",
                    "tags": tags,
                    "policies": ["Unlimited"],
                    "endpointConfig": endpoint,
                    "operations": [operation],
                },
                None,
            )
        wait_for_catalog(control, before + 3)
    return standalone


@pytest.fixture(scope="module")
def control(standalone: Standalone) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standalone.control_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def auth(control: httpx.Client) -> dict[str, str]:
    return publisher_token(control)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API holds an event loop while it runs, which asyncio tests of
    # later modules could not start under.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(browser: Browser, published: Standalone) -> Iterator[BrowserContext]:
    """One browser profile per test module: a signed-in session carries over its steps."""
    ctx = browser.new_context(base_url=published.control_url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    yield tab
    tab.close()


def sign_in(page: Page, path: str) -> None:
    """Open ``path``, signing in at the key manager if it asks."""
    page.goto(path)
    if page.locator("#username").count():
        page.fill("#username", "admin")
        page.fill("#password", "admin")
        page.click("button[type=submit]")
    expect(page.locator("#signed-in-user")).to_have_text("admin")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class _Forms(HTMLParser):
    """The forms of a page as a browser would submit them: each control's name and current value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: tuple[str | None, bool] | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"id": a.get("id", ""), "action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields: list[tuple[str, str]] = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((a["name"], a.get("value") or "on"))
            elif kind not in ("submit", "button"):
                fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option":
            self._option, self._text = (a.get("value"), "selected" in a), ""
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "option" and self._option is not None:
            value, selected = self._option
            self._options.append((self._text.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select:
            chosen = [v for v, s in self._options if s] or [v for v, _ in self._options[:1]]
            self._form["fields"].extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form["fields"].append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def page_forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


FormValue = str | list[str] | None


class PortalBrowser:
    """A portal user over plain HTTP: the sign-in's authorization-code flow and forms with their
    CSRF token, as a browser submits them, with a cookie jar and no JavaScript."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)

    def close(self) -> None:
        self.http.close()

    def sign_in(self, portal: str, user: str, password: str) -> httpx.Response:
        page = self.http.get(f"/{portal}/auth/login")
        assert page.status_code == 200, page.text
        form = page_forms(page.text)[0]
        data = dict(form["fields"]) | {"username": user, "password": password}
        signed_in = self.http.post(page.url.join(form["action"]), data=data)
        assert signed_in.status_code == 200, signed_in.text
        assert f"/{portal}/" in str(signed_in.url), signed_in.url
        return signed_in

    def form(self, path: str, form_id: str, where: dict[str, str] | None = None) -> dict[str, Any]:
        """The form ``form_id`` of the page (of no id: ``""``) holding the values ``where`` names."""
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        wanted = set((where or {}).items())
        found = [f for f in page_forms(page.text) if f["id"] == form_id and wanted <= set(f["fields"])]
        assert found, f"no form #{form_id} with {where} on {path}"
        return found[0]

    def submit(
        self, path: str, form_id: str, values: dict[str, FormValue], where: dict[str, str] | None = None
    ) -> httpx.Response:
        """Fill the form in (a list ticks several boxes of one name, None clears a control) and send it."""
        form = self.form(path, form_id, where)
        data: dict[str, list[str]] = {}
        for name, default in form["fields"]:
            if name not in values:
                data.setdefault(name, []).append(default)
        for name, value in values.items():
            if value is not None:
                data[name] = value if isinstance(value, list) else [value]
        return self.http.post(form["action"] or path, data=data)


def password_token(control: httpx.Client, client_name: str, user: str, password: str, scopes: str) -> str:
    client = control.post(
        "/client-registration/v0.17/register",
        json={
            "clientName": client_name,
            "owner": user,
            "grantType": "password refresh_token",
            "saasApp": True,
        },
        headers=basic(user, password),
    )
    assert client.status_code == 200, client.text
    creds = client.json()
    r = control.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": user, "password": password, "scope": scopes},
        headers=basic(creds["clientId"], creds["clientSecret"]),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token
