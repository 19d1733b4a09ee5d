"""A gateway on a fake control plane, calling a real backend process.

The control plane (token endpoint, JWKS, the three snapshot parts, runtime artifacts) is a tiny
ASGI app reached through the gateway's own httpx client; events go over an in-process bus. API
calls reach the gateway through httpx's ASGI transport, and the gateway calls the backend of
tests/support/backend.py over real sockets.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apim_common.events.bus import InProcessBus
from apim_common.events.envelope import new_event
from apim_gateway.app import Gateway
from apim_gateway.settings import Settings
from tests.support.processes import backend_process
from tests.support.tokens import TEST_ISSUER, TokenFactory

CP = "http://control-plane"
TENANT = "carbon.super"
RESIDENT = "Resident Key Manager"


@pytest.fixture(scope="session")
def backend_port() -> Iterator[int]:
    with backend_process() as port:
        yield port


def resident_key_manager(tenant: str = TENANT, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"km-resident-{tenant}",
        "name": RESIDENT,
        "type": "default",
        "tenant": tenant,
        "issuer": TEST_ISSUER,
        "certificates": {"type": "JWKS", "value": f"{CP}/oauth2/jwks"},
        "consumerKeyClaim": "azp",
        "scopesClaim": "scope",
        "enabled": True,
        "global": False,
        **extra,
    }


def pets_api(backend_port: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": "api-pets",
        "name": "Pets",
        "context": "/pets",
        "version": "1.0.0",
        "isDefaultVersion": True,
        "lifeCycleStatus": "PUBLISHED",
        "type": "HTTP",
        "tenant": TENANT,
        "revisionId": "rev-pets-1",
        "environment": "Default",
        "vhost": "localhost",
        "securityScheme": ["oauth2", "api_key"],
        "apiKeyHeader": "X-API-Key",
        "authorizationHeader": "Authorization",
        "policies": ["Gold"],
        "apiThrottlingPolicy": None,
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"http://127.0.0.1:{backend_port}"},
            "sandbox_endpoints": {"url": f"http://127.0.0.1:{backend_port}/echo/sandbox"},
        },
        "apiPolicies": {"request": [], "response": [], "fault": []},
        "operations": [
            {"verb": "GET", "target": "/echo/{id}", "authType": "Application & Application User"},
            {"verb": "POST", "target": "/echo", "authType": "Any"},
            {"verb": "GET", "target": "/json", "authType": "Any"},
            {"verb": "GET", "target": "/big", "authType": "Any"},
            {"verb": "GET", "target": "/slow", "authType": "Any"},
            {"verb": "GET", "target": "/status/{code}", "authType": "Any"},
            {"verb": "GET", "target": "/echo/admin/*", "authType": "Any", "scopes": ["pets:admin"]},
            {"verb": "GET", "target": "/echo/open", "authType": "None"},
        ],
        **extra,
    }


def count_limit(count: int, unit: str = "min") -> dict[str, Any]:
    return {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": unit, "unitTime": 1, "requestCount": count},
    }


def base_snapshot(backend_port: int) -> dict[str, dict[str, Any]]:
    return {
        "publisher": {"environment": "Default", "artifacts": [pets_api(backend_port)], "gatewayPolicies": []},
        "devportal": {
            "applications": [
                {
                    "applicationId": "app-1",
                    "name": "PetShop",
                    "owner": "alice",
                    "throttlingPolicy": "Unlimited",
                    "status": "APPROVED",
                    "tenant": TENANT,
                }
            ],
            "subscriptions": [
                {
                    "subscriptionId": "sub-1",
                    "applicationId": "app-1",
                    "apiId": "api-pets",
                    "throttlingPolicy": "Gold",
                    "status": "UNBLOCKED",
                }
            ],
            "keyMappings": [
                {
                    "applicationId": "app-1",
                    "keyType": "PRODUCTION",
                    "keyManager": RESIDENT,
                    "consumerKey": "client-1",
                },
                {
                    "applicationId": "app-1",
                    "keyType": "SANDBOX",
                    "keyManager": RESIDENT,
                    "consumerKey": "client-sbx",
                },
            ],
        },
        "admin": {
            "throttlePolicies": {
                "application": [
                    {"policyName": "Unlimited", "defaultLimit": count_limit(2_147_483_647), "tenant": TENANT}
                ],
                "subscription": [
                    {
                        "policyName": "Gold",
                        "defaultLimit": count_limit(5000),
                        "stopOnQuotaReach": True,
                        "tenant": TENANT,
                    }
                ],
                "advanced": [],
                "custom": [],
            },
            "denyPolicies": [],
            "keyManagers": [resident_key_manager()],
            "environments": [{"name": "Default", "tenant": TENANT}],
        },
    }


REPORTS = "/api/am/publisher/v4/internal/environments/"


async def read_body(receive: Any) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


@dataclass
class FakeControlPlane:
    """The control plane's internal endpoints, as a plain ASGI app."""

    tokens: TokenFactory
    snapshot: dict[str, dict[str, Any]]
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    jwks: dict[str, dict[str, Any]] = field(default_factory=dict)
    up: bool = True
    calls: list[tuple[str, str]] = field(default_factory=list)
    # What the gateway reported: (environment, the policy implementations it has).
    reports: list[tuple[str, list[str]]] = field(default_factory=list)
    # The key manager's revocation snapshot: what it refuses now.
    refused: dict[str, Any] = field(
        default_factory=lambda: {"revokedTokens": [], "rules": [], "inactiveTenants": []}
    )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path = scope["path"]
        headers = dict(scope["headers"])
        self.calls.append((path, headers.get(b"authorization", b"").decode()))
        status, body = 404, {"code": 404}
        internal = path.startswith("/api/")
        if not self.up:
            status, body = 503, {"code": 503}
        elif internal and headers.get(b"authorization") != b"Bearer service-token":
            status, body = 401, {"code": 401}
        elif path == "/oauth2/token":
            status, body = 200, {"access_token": "service-token", "expires_in": 3600, "token_type": "Bearer"}
        elif path == "/oauth2/jwks":
            status, body = 200, self.tokens.jwks()
        elif path in self.jwks:
            status, body = 200, self.jwks[path]
        elif path == "/api/am/publisher/v4/internal/snapshot":
            status, body = 200, self.snapshot["publisher"]
        elif path == "/api/am/devportal/v3/internal/gateway-snapshot":
            status, body = 200, self.snapshot["devportal"]
        elif path == "/api/am/admin/v4/internal/gateway-snapshot":
            status, body = 200, self.snapshot["admin"]
        elif path == "/api/am/keymanager/v1/internal/revocations":
            status, body = 200, self.refused
        elif path.startswith(REPORTS) and path.endswith("/policy-implementations"):
            environment = path[len(REPORTS) :].split("/", 1)[0]
            self.reports.append((environment, json.loads(await read_body(receive))["implementations"]))
            status, body = 200, {}
        elif path.startswith("/api/am/publisher/v4/internal/runtime-artifacts/"):
            revision = path.rsplit("/", 1)[1]
            if revision in self.artifacts:
                status, body = 200, self.artifacts[revision]
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@dataclass
class Harness:
    gateway: Gateway
    client: httpx.AsyncClient
    bus: InProcessBus
    control_plane: FakeControlPlane
    tokens: TokenFactory
    backend_port: int

    async def publish(self, topic: str, type_: str, data: dict[str, Any], *, tenant: str = TENANT) -> None:
        subject = str(data.get("id") or data.get("apiId") or data.get("applicationId") or "x")
        await self.bus.publish(topic, new_event("/test", type_, subject, data, tenant=tenant))
        await self.bus.drain()

    def bearer(self, client_id: str = "client-1", scopes: str = "", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.mint('alice', scopes, client_id=client_id, **kwargs)}"}


def gateway_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mode": "development",
        "key_manager_url": CP,
        "publisher_url": CP,
        "devportal_url": CP,
        "admin_url": CP,
        "gateway_snapshot_cache": tmp_path / "snapshot.json",
        "gateway_snapshot_retry": 0.05,
        "gateway_connect_timeout": 1.0,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def snapshot(backend_port: int) -> dict[str, dict[str, Any]]:
    return copy.deepcopy(base_snapshot(backend_port))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def harness(
    tmp_path: Path,
    tokens: TokenFactory,
    backend_port: int,
    snapshot: dict[str, dict[str, Any]],
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Harness]:
    control_plane = FakeControlPlane(tokens, snapshot)
    async with (
        RunningGateway(tmp_path, control_plane, settings_overrides) as (gateway, bus),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://localhost") as client,
    ):
        yield Harness(gateway, client, bus, control_plane, tokens, backend_port)


class RunningGateway:
    def __init__(self, tmp_path: Path, control_plane: FakeControlPlane, overrides: dict[str, Any]) -> None:
        self.settings = gateway_settings(tmp_path, **overrides)
        self.control_plane = control_plane

    async def __aenter__(self) -> tuple[Gateway, InProcessBus]:
        self.bus = InProcessBus(retry_delay=0.05)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.control_plane), base_url=CP)
        self.http = http
        self.gateway = Gateway(self.settings, bus=self.bus, http=http)
        self.lifespan = self.gateway.lifespan()
        await self.lifespan.__aenter__()
        await self.bus.start()
        if self.control_plane.up:
            await self.gateway.syncer.complete.wait()
        return self.gateway, self.bus

    async def __aexit__(self, *exc: object) -> None:
        await self.bus.stop()
        await self.lifespan.__aexit__(None, None, None)
        await self.http.aclose()
