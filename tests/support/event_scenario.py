"""A broad scenario on the control plane composed as the standalone runner composes it (the services
that write, in one process, one in-process bus, served on a real port), recording every event it
produces.

Its write paths carry secrets on purpose (backend credentials, an OAuth client secret, a WebSub
signing secret, a key manager's client secret, a tenant admin's password, application keys, an API
key), so that tests can check what reaches the events: the secret scan
(tests/common/test_event_secrets.py) and the AsyncAPI document's schemas
(tests/common/test_events_asyncapi.py). It runs once per test process; both read its result.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import uvicorn

from apim_admin.app import create_app as create_admin
from apim_admin.settings import Settings as AdminSettings
from apim_common.events import CloudEvent, InProcessBus, Topic
from apim_devportal.app import create_app as create_devportal
from apim_devportal.settings import Settings as DevportalSettings
from apim_key_manager.app import create_app as create_key_manager
from apim_key_manager.settings import Settings as KeyManagerSettings
from apim_publisher.app import create_app as create_publisher
from apim_publisher.settings import Settings as PublisherSettings
from apim_standalone.__main__ import _bind
from apim_standalone.composition import ControlPlane

SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:api_manage apim:subscribe apim:app_manage"
    " apim:sub_manage apim:admin apim:tier_view apim:api_key"
)
BACKEND_PASSWORD = "backend-pa55word-Q7"
BACKEND_CLIENT_SECRET = "backend-client-s3cret-Q7"
WEBSUB_SECRET = "websub-signing-s3cret-Q7"
KEY_MANAGER_SECRET = "key-manager-client-s3cret-Q7"
TENANT_ADMIN_PASSWORD = "tenant-admin-pa55-Q7"


@dataclass
class Scenario:
    # (topic, event) in the order delivered.
    events: list[tuple[str, CloudEvent]] = field(default_factory=list)
    # Every secret the scenario sent or was given, by what it is.
    secrets: dict[str, str] = field(default_factory=dict)
    # The platform's AsyncAPI document of its events as the publisher serves it, and the API the
    # publisher made of it (POST /apis/import-asyncapi).
    asyncapi_yaml: str = ""
    # The status of the same GET without a token, and with a token lacking the publisher's scopes.
    asyncapi_refused: tuple[int, int] = (0, 0)
    imported: dict[str, Any] = field(default_factory=dict)


def _writers(data_dir: Path, url: str) -> tuple[ControlPlane, InProcessBus]:
    """The services whose write paths the scenario drives, composed as the standalone runner does
    (``apim_standalone.composition``) around one in-process bus; the gateway, throttle-sync,
    analytics and the portals produce nothing here and are left out to keep the scenario short."""
    bus = InProcessBus()

    def env(name: str) -> dict[str, Any]:
        urls = ("key_manager_url", "publisher_url", "devportal_url", "admin_url", "throttle_sync_url")
        return {
            "database_url": f"sqlite+aiosqlite:///{data_dir / name}.db",
            "metrics_port": None,
        } | dict.fromkeys(urls, url)

    services = [
        create_key_manager(KeyManagerSettings(**env("key_manager")), bus=bus),
        create_admin(AdminSettings(**env("admin")), bus=bus),
        create_publisher(PublisherSettings(**env("publisher")), bus=bus),
        create_devportal(DevportalSettings(**env("devportal"), gateway_url="http://127.0.0.1:9"), bus=bus),
    ]
    return ControlPlane(services), bus


@contextlib.asynccontextmanager
async def _platform(data_dir: Path, scenario: Scenario) -> AsyncIterator[httpx.AsyncClient]:
    sock = _bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    control_plane, bus = _writers(data_dir, url)

    def recorder(topic: str) -> Any:
        async def record(event: CloudEvent) -> None:
            scenario.events.append((topic, event))

        return record

    for topic in Topic:
        bus.subscribe([topic], f"scenario-recorder-{topic}", recorder(topic))
    server = uvicorn.Server(uvicorn.Config(control_plane, lifespan="off", log_config=None, access_log=False))
    async with contextlib.AsyncExitStack() as stack:
        for service in control_plane.apps:  # key manager first, as the runner starts them
            await stack.enter_async_context(service.router.lifespan_context(service))
        await bus.start()
        stack.push_async_callback(bus.stop)
        serving = asyncio.create_task(server.serve([sock]))
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                while not server.started:
                    await asyncio.sleep(0.02)
                yield client
                await _settle(bus, scenario)
        finally:
            server.should_exit = True
            await serving


async def _settle(bus: Any, scenario: Scenario) -> None:
    """Let the outbox relays publish what is pending: the count of events stops growing."""
    seen = -1
    while seen != len(scenario.events):
        seen = len(scenario.events)
        await asyncio.sleep(0.3)
        await bus.drain()


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _ok(response: httpx.Response, *codes: int) -> dict[str, Any]:
    assert response.status_code in (codes or (200, 201)), f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def _client(http: httpx.AsyncClient, scenario: Scenario) -> dict[str, Any]:
    """The administrator's tools client (dynamic client registration)."""
    client = _ok(
        await http.post(
            "/client-registration/v0.17/register",
            json={
                "callbackUrl": "www.example.com",
                "clientName": "scenario_tools",
                "owner": "admin",
                "grantType": "password refresh_token client_credentials",
                "saasApp": True,
            },
            headers=_basic("admin", "admin"),
        )
    )
    scenario.secrets["registered client's secret"] = client["clientSecret"]
    return client


async def _token(http: httpx.AsyncClient, client: dict[str, Any], scopes: str = SCOPES) -> dict[str, str]:
    token = _ok(
        await http.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "admin", "password": "admin", "scope": scopes},
            headers=_basic(client["clientId"], client["clientSecret"]),
        )
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
ADMIN = "/api/am/admin/v4"


async def _admin_writes(http: httpx.AsyncClient, auth: dict[str, str]) -> None:
    key_manager = {
        "name": "Partners",
        "type": "custom",
        "issuer": "https://partner.example",
        "certificates": {"type": "JWKS", "value": "https://partner.example/keys"},
        "additionalProperties": {"client_id": "partner-admin", "client_secret": KEY_MANAGER_SECRET},
    }
    _ok(await http.post(f"{ADMIN}/key-managers", json=key_manager, headers=auth))
    tenant = {"domain": "acme.com", "adminUsername": "boss", "adminPassword": TENANT_ADMIN_PASSWORD}
    _ok(await http.post(f"{ADMIN}/tenants", json=tenant, headers=auth))
    _ok(await http.post(f"{ADMIN}/api-categories", json={"name": "Food"}, headers=auth))


async def _publisher_writes(http: httpx.AsyncClient, auth: dict[str, str]) -> str:
    security = {
        "production": {"enabled": True, "type": "BASIC", "username": "shop", "password": BACKEND_PASSWORD},
        "sandbox": {
            "enabled": True,
            "type": "OAUTH",
            "grantType": "CLIENT_CREDENTIALS",
            "tokenUrl": "https://idp.example.com/oauth2/token",
            "clientId": "sandbox-client",
            "clientSecret": BACKEND_CLIENT_SECRET,
        },
    }
    api = _ok(
        await http.post(
            f"{PUBLISHER}/apis",
            json={
                "name": "PizzaShack",
                "context": "/pizza",
                "version": "1.0.0",
                "policies": ["Unlimited"],
                "endpointConfig": {
                    "endpoint_type": "http",
                    "production_endpoints": {"url": "https://backend.example.com/pizza"},
                    "sandbox_endpoints": {"url": "https://sandbox.example.com/pizza"},
                    "endpoint_security": security,
                },
                "operations": [
                    {"target": "/menu", "verb": "GET", "authType": "Application & Application User"}
                ],
            },
            headers=auth,
        )
    )
    await _deploy_and_publish(http, auth, api["id"])
    websub = _ok(
        await http.post(
            f"{PUBLISHER}/apis",
            json={
                "name": "Issues",
                "context": "/issues",
                "version": "1.0.0",
                "policies": ["Unlimited"],
                "type": "WEBSUB",
                "operations": [{"verb": "SUBSCRIBE", "target": "/issues", "authType": "Any"}],
                "websubSubscriptionConfiguration": {
                    "enable": True,
                    "secret": WEBSUB_SECRET,
                    "signingAlgorithm": "SHA256",
                    "signatureHeader": "X-Hub-Signature-256",
                },
            },
            headers=auth,
        )
    )
    await _deploy_and_publish(http, auth, websub["id"])
    return str(api["id"])


async def _deploy_and_publish(http: httpx.AsyncClient, auth: dict[str, str], api_id: str) -> None:
    revision = _ok(
        await http.post(f"{PUBLISHER}/apis/{api_id}/revisions", json={"description": "r1"}, headers=auth)
    )
    _ok(
        await http.post(
            f"{PUBLISHER}/apis/{api_id}/deploy-revision",
            params={"revisionId": revision["id"]},
            json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
            headers=auth,
        )
    )
    _ok(
        await http.post(
            f"{PUBLISHER}/apis/change-lifecycle", params={"apiId": api_id, "action": "Publish"}, headers=auth
        )
    )


async def _devportal_writes(
    http: httpx.AsyncClient, auth: dict[str, str], api_id: str, scenario: Scenario
) -> None:
    for _ in range(100):  # the catalog learns of the published API through its event
        listed = _ok(await http.get(f"{DEVPORTAL}/apis/{api_id}"), 200, 404)
        if listed.get("id") == api_id:
            break
        await asyncio.sleep(0.05)
    app = _ok(
        await http.post(
            f"{DEVPORTAL}/applications",
            json={"name": "PizzaApp", "throttlingPolicy": "Unlimited"},
            headers=auth,
        )
    )
    app_id = app["applicationId"]
    _ok(
        await http.post(
            f"{DEVPORTAL}/subscriptions",
            json={"applicationId": app_id, "apiId": api_id, "throttlingPolicy": "Unlimited"},
            headers=auth,
        )
    )
    keys = _ok(
        await http.post(
            f"{DEVPORTAL}/applications/{app_id}/generate-keys",
            json={
                "keyType": "PRODUCTION",
                "keyManager": "Resident Key Manager",
                "grantTypesToBeSupported": ["client_credentials"],
            },
            headers=auth,
        )
    )
    scenario.secrets["application's consumer secret"] = keys["consumerSecret"]
    api_key = _ok(
        await http.post(
            f"{DEVPORTAL}/applications/{app_id}/api-keys/PRODUCTION/generate",
            json={"validityPeriod": 3600},
            headers=auth,
        )
    )
    scenario.secrets["application's API key"] = api_key["apikey"]
    _ok(
        await http.post(
            f"{DEVPORTAL}/applications/{app_id}/api-keys/PRODUCTION/revoke",
            json={"apikey": api_key["apikey"]},
            headers=auth,
        )
    )


async def _platform_events(
    http: httpx.AsyncClient, auth: dict[str, str], client: dict[str, Any], scenario: Scenario
) -> None:
    served = await http.get(f"{PUBLISHER}/events/asyncapi.yaml", headers=auth)
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("application/yaml")
    scenario.asyncapi_yaml = served.text
    anonymous = await http.get(f"{PUBLISHER}/events/asyncapi.yaml")
    subscriber = await _token(http, client, "apim:subscribe")
    subscriber_only = await http.get(f"{PUBLISHER}/events/asyncapi.yaml", headers=subscriber)
    scenario.asyncapi_refused = (anonymous.status_code, subscriber_only.status_code)
    scenario.imported = _ok(
        await http.post(
            f"{PUBLISHER}/apis/import-asyncapi",
            files={"file": ("events.yaml", served.content, "application/yaml")},
            data={"additionalProperties": '{"context": "/platform-events"}'},
            headers=auth,
        )
    )


async def _run(data_dir: Path) -> Scenario:
    scenario = Scenario(
        secrets={
            "backend password": BACKEND_PASSWORD,
            "backend OAuth client secret": BACKEND_CLIENT_SECRET,
            "WebSub signing secret": WEBSUB_SECRET,
            "key manager's client secret": KEY_MANAGER_SECRET,
            "tenant admin's password": TENANT_ADMIN_PASSWORD,
        }
    )
    async with _platform(data_dir, scenario) as http:
        client = await _client(http, scenario)
        auth = await _token(http, client)
        await _admin_writes(http, auth)
        api_id = await _publisher_writes(http, auth)
        await _devportal_writes(http, auth, api_id, scenario)
        await _platform_events(http, auth, client, scenario)
    return scenario


@functools.cache
def scenario() -> Scenario:
    """The scenario's events and secrets (run on first call, in a loop of its own)."""
    development = {"APIM_MODE": "development", "APIM_LOG_JSON": "false"}
    with mock.patch.dict(os.environ, development), tempfile.TemporaryDirectory(prefix="event-") as data_dir:
        return asyncio.run(_run(Path(data_dir)))
