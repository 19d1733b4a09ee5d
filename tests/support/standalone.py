"""The standalone runner (``python -m apim_standalone``) on free ports, and the few steps most
platform tests take: a user's token, an API published and deployed, an application subscribed with
keys. ``shared_platform`` starts one runner and one test backend for the whole test run, since a
start costs seconds: each module makes its own APIs and applications on it."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import backend_process, stop

PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
ADMIN = "/api/am/admin/v4"
ALL_SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:api_manage apim:api_delete apim:subscribe "
    "apim:app_manage apim:sub_manage apim:admin apim:tier_view apim:comment_view apim:comment_write "
    "apim:app_import_export apim:document_create apim:document_manage apim:shared_scope_manage "
    "apim:api_import_export apim:api_product_import_export apim:role_manage apim:admin_application_view "
    "apim:tenantInfo"
)


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def eventually(
    call: Callable[[], httpx.Response], ok: Callable[[httpx.Response], bool], seconds: float = 10
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        r = call()
        if ok(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


async def admin_token(http: httpx.AsyncClient, client_name: str, scopes: str) -> str:
    """admin's token for ``scopes``, through a password-grant client registered as ``client_name``."""
    r = await http.post(
        "/client-registration/v0.17/register",
        json={"clientName": client_name, "owner": "admin", "grantType": "password"},
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 200, r.text
    client = r.json()
    r = await http.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": "admin", "password": "admin", "scope": scopes},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def seed_api(name: str, *operations: tuple[str, str]) -> dict[str, Any]:
    """The body of an API a seeding script creates: ``name`` at ``/name``, a backend that is never
    called (the discard port), ``operations`` as (target, verb) on Unlimited."""
    return {
        "name": name,
        "context": f"/{name}",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": "http://127.0.0.1:9/"},
        },
        "operations": [{"target": t, "verb": v, "throttlingPolicy": "Unlimited"} for t, v in operations],
    }


@dataclass
class Standalone:
    control: httpx.Client
    gateway: httpx.Client
    control_url: str
    log: Path

    def client_of(self, username: str, password: str) -> dict[str, Any]:
        r = self.control.post(
            "/client-registration/v0.17/register",
            json={
                "callbackUrl": "www.example.com",
                "clientName": "tools_" + re.sub(r"\W", "_", username),
                "owner": username,
                "grantType": "password refresh_token client_credentials",
                "saasApp": True,
            },
            headers=basic(username, password),
        )
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def password_grant(
        self, client: dict[str, Any], username: str, password: str, scopes: str = ALL_SCOPES
    ) -> httpx.Response:
        return self.control.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": username, "password": password, "scope": scopes},
            headers=basic(client["clientId"], client["clientSecret"]),
        )

    def token(self, username: str = "admin", password: str = "admin", scopes: str = ALL_SCOPES) -> str:
        r = self.password_grant(self.client_of(username, password), username, password, scopes)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def add_user(self, admin_token: str, username: str, password: str, roles: list[str]) -> None:
        r = self.control.post(
            "/scim2/Users",
            json={"userName": username, "password": password, "roles": [{"value": x} for x in roles]},
            headers=bearer(admin_token),
        )
        assert r.status_code == 201, r.text

    def published_api(
        self, token: str, backend: str, name: str, context: str, tiers: list[str] | None = None
    ) -> str:
        """An API on ``backend`` with GET /menu, deployed to Default and published: its id."""
        body = {
            "name": name,
            "context": context,
            "version": "1.0.0",
            "policies": tiers or ["Unlimited"],
            "endpointConfig": {
                "endpoint_type": "http",
                "production_endpoints": {"url": f"{backend}/echo"},
                "sandbox_endpoints": {"url": f"{backend}/echo"},
            },
            "operations": [{"target": "/menu", "verb": "GET", "throttlingPolicy": "Unlimited"}],
        }
        r = self.control.post(f"{PUBLISHER}/apis", json=body, headers=bearer(token))
        assert r.status_code == 201, r.text
        api_id = str(r.json()["id"])
        r = self.control.post(f"{PUBLISHER}/apis/{api_id}/revisions", json={}, headers=bearer(token))
        assert r.status_code == 201, r.text
        r = self.control.post(
            f"{PUBLISHER}/apis/{api_id}/deploy-revision",
            params={"revisionId": r.json()["id"]},
            json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
            headers=bearer(token),
        )
        assert r.status_code == 201, r.text
        r = self.control.post(
            f"{PUBLISHER}/apis/change-lifecycle",
            params={"apiId": api_id, "action": "Publish"},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        found = eventually(
            lambda: self.control.get(f"{DEVPORTAL}/apis/{api_id}", headers=bearer(token)),
            lambda r: r.status_code == 200,
        )
        assert found.status_code == 200, found.text
        return api_id

    def subscribed_app(self, token: str, api_id: str, name: str, tier: str = "Unlimited") -> dict[str, Any]:
        """An application subscribed to ``api_id`` on ``tier`` with production keys:
        ``{applicationId, subscriptionId, consumerKey, consumerSecret}``."""
        r = self.control.post(
            f"{DEVPORTAL}/applications",
            json={"name": name, "throttlingPolicy": "Unlimited", "tokenType": "JWT"},
            headers=bearer(token),
        )
        assert r.status_code == 201, r.text
        app_id = r.json()["applicationId"]
        r = self.control.post(
            f"{DEVPORTAL}/subscriptions",
            json={"applicationId": app_id, "apiId": api_id, "throttlingPolicy": tier},
            headers=bearer(token),
        )
        assert r.status_code == 201, r.text
        subscription_id = r.json()["subscriptionId"]
        r = self.control.post(
            f"{DEVPORTAL}/applications/{app_id}/generate-keys",
            json={
                "keyType": "PRODUCTION",
                "keyManager": "Resident Key Manager",
                "grantTypesToBeSupported": ["client_credentials"],
            },
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        keys = r.json()
        return {
            "applicationId": app_id,
            "subscriptionId": subscription_id,
            "consumerKey": keys["consumerKey"],
            "consumerSecret": keys["consumerSecret"],
        }

    def app_token(self, app: dict[str, Any]) -> httpx.Response:
        return self.control.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers=basic(app["consumerKey"], app["consumerSecret"]),
        )


@dataclass
class Runner:
    """A started ``python -m apim_standalone``: its process, its log and the URLs it printed."""

    process: subprocess.Popen[str]
    log: Path
    control_url: str
    gateway_url: str
    metrics_url: str | None


@contextmanager
def run_standalone(
    workdir: Path, env: dict[str, str] | None = None, *, stop_timeout: float = 30
) -> Iterator[Runner]:
    """The standalone runner started as a user starts it, in ``workdir``: development mode, a data
    folder of its own, free ports, ``env`` on top. Ready once it has printed its URLs (the metrics
    one too when ``APIM_METRICS_PORT`` is set); stopped on exit, killed after ``stop_timeout``."""
    log = workdir / "runner.log"
    full_env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_LOG_JSON": "false",
        "APIM_DATA_DIR": str(workdir / "data"),
        "APIM_CONTROL_PORT": "0",
        "APIM_GATEWAY_PORT": "0",
        **(env or {}),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "apim_standalone"],
            cwd=workdir,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            text = log.read_text()
            control = re.search(r"Control plane: (http\S+)", text)
            gateway = re.search(r"Gateway:\s+(http\S+)", text)
            metrics = re.search(r"Metrics:\s+(http\S+)", text)
            if control and gateway and (metrics or "APIM_METRICS_PORT" not in full_env):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the standalone runner did not start:\n{text}")
            time.sleep(0.05)
        yield Runner(process, log, control.group(1), gateway.group(1), metrics.group(1) if metrics else None)
    finally:
        stop(process, stop_timeout)


@contextmanager
def standalone(workdir: Path, env: dict[str, str] | None = None) -> Iterator[Standalone]:
    """The runner with its metrics port and cheap password hashing, and clients of its control
    plane and gateway."""
    defaults = {"APIM_METRICS_PORT": "0", "APIM_PASSWORD_TIME_COST": "1", "APIM_PASSWORD_MEMORY_COST": "1024"}
    # Its files are in a temporary folder: no need to wait long for a graceful stop.
    with (
        run_standalone(workdir, {**defaults, **(env or {})}, stop_timeout=3) as runner,
        httpx.Client(base_url=runner.control_url, timeout=30) as control_client,
        httpx.Client(base_url=runner.gateway_url, timeout=30) as gateway_client,
    ):
        yield Standalone(control_client, gateway_client, runner.control_url, runner.log)


@dataclass
class Shared:
    platform: Standalone
    backend: str
    admin_token: str


_SHARED: list[Shared] = []
_STOP: list[ExitStack] = []
# Sessions and test modules that will stop the platform when they end.
_WATCHED: set[int] = set()


def _stop_shared() -> None:
    _SHARED.clear()
    while _STOP:
        _STOP.pop().close()


def _uses_shared(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and getattr(module, "shared_platform", None) is shared_platform


def _stop_unless_used_later(session: pytest.Session, module: pytest.Module) -> None:
    """Stops the platform once no later test module of the run uses it (it idles at about 2% of a
    core, which would add up over the rest of a full run)."""
    positions = [i for i, item in enumerate(session.items) if item.getparent(pytest.Module) is module]
    if not positions or not any(_uses_shared(item) for item in session.items[max(positions) + 1 :]):
        _stop_shared()


def shared_platform(request: pytest.FixtureRequest) -> Shared:
    """The run's one platform: started on first use, stopped after the last test module using it."""
    module = request.node.getparent(pytest.Module)
    if not _SHARED:
        stack = ExitStack()
        _STOP.append(stack)
        if id(request.session) not in _WATCHED:
            request.session.addfinalizer(_stop_shared)
            _WATCHED.add(id(request.session))
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        workdir = factory.mktemp("shared-standalone")
        port = stack.enter_context(backend_process())
        running = stack.enter_context(standalone(workdir))
        _SHARED.append(Shared(running, f"http://127.0.0.1:{port}", running.token()))
    if module is not None and id(module) not in _WATCHED:
        session = request.session
        module.addfinalizer(lambda: _stop_unless_used_later(session, module))
        _WATCHED.add(id(module))
    return _SHARED[0]
