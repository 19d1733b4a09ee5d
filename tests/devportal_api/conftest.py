"""The devportal-api service alone: SQLite, an in-process bus fed by the tests, and a stand-in key
manager (a small ASGI app behind the service's HTTP client)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from apim_common.events import CloudEvent, InProcessBus, new_event
from apim_common.events.envelope import DEFAULT_TENANT
from apim_devportal.app import create_app
from apim_devportal.base import outbox
from apim_devportal.settings import Settings
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

BASE = "/api/am/devportal/v3"
SUBSCRIBER = "apim:subscribe"
# What a DevPortal user's token usually holds.
PORTAL_SCOPES = "apim:subscribe apim:app_manage apim:sub_manage apim:api_key apim:store_settings"


@dataclass
class FakeKeyManager:
    """Just enough of the key manager's internal API and token endpoint to be a client of."""

    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    signed: list[dict[str, Any]] = field(default_factory=list)

    def app(self, tokens: TokenFactory) -> FastAPI:
        api = FastAPI()
        internal = "/api/am/keymanager/v1/internal"

        @api.post("/oauth2/token")
        async def token(request: Request) -> Response:
            form = await request.form()
            header = request.headers.get("authorization", "")
            client_id, _, secret = base64.b64decode(header.split()[1]).decode().partition(":")
            self.calls.append(("token", client_id))
            if client_id == "apim-internal-services":
                return JSONResponse({"access_token": "service-token", "expires_in": 3600})
            known = self.clients.get(client_id)
            if known is None or known["clientSecret"] != secret:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            scope = str(form.get("scope") or "default")
            access = tokens.mint(known["owner"], scope, client_id=client_id)
            return JSONResponse(
                {"access_token": access, "scope": scope, "expires_in": 3600, "token_type": "Bearer"}
            )

        @api.post(f"{internal}/clients", status_code=201)
        async def create(request: Request) -> dict[str, Any]:
            body = await request.json()
            assert request.headers["authorization"] == "Bearer service-token"
            client = {
                "clientId": uuid.uuid4().hex[:20],
                "clientSecret": uuid.uuid4().hex,
                "clientName": body["clientName"],
                "owner": body["owner"],
                "grantTypes": body["grantTypes"],
                "callbackUrl": body.get("callbackUrl", ""),
                "applicationId": body.get("applicationId"),
            }
            self.clients[client["clientId"]] = client
            self.calls.append(("create", client["clientId"]))
            return client

        @api.get(f"{internal}/clients/{{client_id}}")
        async def read(client_id: str, owner: str, tenant: str, applicationId: str | None = None) -> Response:
            # As the key manager: only an application client of the named owner (or application).
            known = self.clients.get(client_id)
            if (
                known is None
                or known.get("kind", "application") != "application"
                or known.get("tenant", DEFAULT_TENANT) != tenant
                or (
                    known["owner"] != owner
                    and (applicationId is None or known.get("applicationId") != applicationId)
                )
            ):
                return JSONResponse({"code": 404}, status_code=404)
            return JSONResponse(known)

        @api.put(f"{internal}/clients/{{client_id}}")
        async def update(client_id: str, request: Request) -> dict[str, Any]:
            body = await request.json()
            client = self.clients[client_id]
            client.update({k: v for k, v in body.items() if v is not None})
            return client

        @api.delete(f"{internal}/clients/{{client_id}}")
        async def delete(client_id: str) -> Response:
            self.clients.pop(client_id, None)
            self.calls.append(("delete", client_id))
            return Response(status_code=204)

        @api.post(f"{internal}/clients/{{client_id}}/regenerate-secret")
        async def regenerate(client_id: str) -> dict[str, Any]:
            self.clients[client_id]["clientSecret"] = uuid.uuid4().hex
            self.calls.append(("regenerate", client_id))
            return {"clientId": client_id, "clientSecret": self.clients[client_id]["clientSecret"]}

        @api.post(f"{internal}/api-keys")
        async def sign(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.signed.append(body)
            jti = uuid.uuid4().hex
            key = tokens.mint(body["username"], "", tenant=body["tenant"], jti=jti, token_type="apiKey")
            return {"apikey": key, "validityTime": body["validityPeriod"], "jti": jti}

        return api


@dataclass
class Portal:
    """The running service, its bus, the fake key manager and the events it emitted."""

    app: Any
    client: httpx.AsyncClient
    bus: InProcessBus
    tokens: TokenFactory
    key_manager: FakeKeyManager
    emitted: list[tuple[str, CloudEvent]]

    def headers(self, username: str = "alice", scopes: str = PORTAL_SCOPES, **kwargs: Any) -> dict[str, str]:
        kwargs.setdefault("roles", ["Internal/subscriber"])
        return self.tokens.headers(username, scopes, **kwargs)

    async def publish(
        self,
        topic: str,
        type_: str,
        subject: str,
        data: dict[str, Any],
        *,
        tenant: str = DEFAULT_TENANT,
        event_id: str | None = None,
    ) -> CloudEvent:
        event = new_event("/test", type_, subject, data, tenant=tenant)
        if event_id is not None:
            event = event.model_copy(update={"id": event_id})
        await self.bus.publish(topic, event)
        await self.bus.drain()
        return event

    async def publish_api(self, **fields: Any) -> dict[str, Any]:
        api = api_dto(**fields)
        await self.publish("apis", "api.created", api["id"], api, tenant=fields.get("tenant", DEFAULT_TENANT))
        return api

    async def settle(self) -> None:
        """Let the outbox relay hand over what the last requests wrote."""
        async with self.app.state.database.session() as session:
            for _ in range(200):
                pending = await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
                if not pending:
                    break
                await session.rollback()
                await asyncio.sleep(0.02)
        await self.bus.drain()

    def events(self, type_: str) -> list[CloudEvent]:
        return [e for _, e in self.emitted if e.type == type_]


def api_dto(**fields: Any) -> dict[str, Any]:
    fields.pop("tenant", None)
    name = fields.pop("name", "PizzaShackAPI")
    api: dict[str, Any] = {
        "id": fields.pop("id", str(uuid.uuid4())),
        "name": name,
        "context": fields.pop("context", f"/{name.lower()}"),
        "version": "1.0.0",
        "provider": "admin",
        "lifeCycleStatus": "PUBLISHED",
        "type": "HTTP",
        "visibility": "PUBLIC",
        "visibleRoles": [],
        "description": f"{name} sample",
        "tags": [],
        "policies": ["Unlimited", "Gold"],
        "operations": [{"target": "/menu", "verb": "GET", "authType": "Application & Application User"}],
        "businessInformation": {"businessOwner": "Jane", "businessOwnerEmail": "jane@example.com"},
        "monetization": {"enabled": False},
    }
    api.update(fields)
    return api


@contextlib.asynccontextmanager
async def running_portal(tokens: TokenFactory, database_url: str) -> AsyncIterator[Portal]:
    bus = InProcessBus(retry_delay=0.01)
    emitted: list[tuple[str, CloudEvent]] = []
    for topic in ("applications", "subscriptions", "keys", "workflows", "token-revocations"):

        async def record(event: CloudEvent, topic: str = topic) -> None:
            emitted.append((topic, event))

        bus.subscribe([topic], f"test-recorder-{topic}", record)
    settings = Settings(
        mode="development",
        database_url=database_url,
        key_manager_url="http://key-manager",
        outbox_poll_interval=0.05,
        log_json=False,
    )
    key_manager = FakeKeyManager()
    async with running_service(create_app, settings, tokens, bus=bus) as (app, client):
        fake = httpx.AsyncClient(transport=httpx.ASGITransport(app=key_manager.app(tokens)))
        original = app.state.http
        app.state.http = fake
        await bus.start()
        try:
            yield Portal(app, client, bus, tokens, key_manager, emitted)
        finally:
            await bus.stop()
            app.state.http = original
            await fake.aclose()


@pytest.fixture
async def portal(sqlite_url: str, tokens: TokenFactory) -> AsyncIterator[Portal]:
    async with running_portal(tokens, sqlite_url) as running:
        yield running
