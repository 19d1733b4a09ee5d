"""The Admin API running on SQLite with an in-process bus, and stand-ins for the services it calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from apim_admin.app import create_app
from apim_admin.models import outbox
from apim_admin.settings import Settings
from apim_common.events import CloudEvent, InProcessBus, Topic, new_event
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

ADMIN_SCOPES = "apim:admin"
WELL_KNOWN = {
    "issuer": "https://idp.example.com/realms/acme",
    "jwks_uri": "https://idp.example.com/realms/acme/certs",
    "token_endpoint": "https://idp.example.com/realms/acme/token",
    "revocation_endpoint": "https://idp.example.com/realms/acme/revoke",
    "introspection_endpoint": "https://idp.example.com/realms/acme/introspect",
    "userinfo_endpoint": "https://idp.example.com/realms/acme/userinfo",
    "authorization_endpoint": "https://idp.example.com/realms/acme/auth",
    "grant_types_supported": ["authorization_code", "client_credentials"],
}

# The key manager's users: (tenant, name asked for) -> the name their tokens carry.
USERS = {
    ("carbon.super", "alice"): "alice",
    ("carbon.super", "bob"): "bob",
    ("carbon.super", "carol"): "carol",
    ("acme.com", "carol"): "carol@acme.com",
    ("acme.com", "carol@acme.com"): "carol@acme.com",
}


@dataclass
class Peers:
    """The key manager, publisher and devportal as far as admin talks to them; records every call."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        peers = FastAPI()

        async def record(request: Request) -> dict[str, Any]:
            body = await request.body()
            call = {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "authorization": request.headers.get("authorization"),
                "json": (await request.json())
                if body and request.method != "GET" and body[:1] == b"{"
                else None,
            }
            self.calls.append(call)
            return call

        @peers.post("/oauth2/token")
        async def token(request: Request) -> dict[str, Any]:
            await record(request)
            return {"access_token": "service-token", "token_type": "Bearer", "expires_in": 3600}

        @peers.post("/api/am/keymanager/v1/internal/tenants")
        async def tenant(request: Request) -> JSONResponse:
            call = await record(request)
            if call["json"]["domain"] == "taken.com":
                return JSONResponse({"code": 409, "message": "Conflict", "description": "exists"}, 409)
            return JSONResponse({"domain": call["json"]["domain"]}, 201)

        @peers.put("/api/am/keymanager/v1/internal/tenants/{domain}/status")
        async def tenant_status(domain: str, request: Request) -> dict[str, Any]:
            call = await record(request)
            return {"domain": domain, "status": call["json"]["status"]}

        @peers.get("/api/am/keymanager/v1/internal/users/{username}")
        async def user(username: str, request: Request) -> JSONResponse:
            call = await record(request)
            found = USERS.get((call["query"].get("tenant", ""), username))
            if found is None:
                return JSONResponse({"code": 404, "message": "User Not Found", "description": username}, 404)
            return JSONResponse({"username": found, "tenant": call["query"]["tenant"], "roles": []})

        @peers.get("/api/am/publisher/v4/internal/apis")
        async def apis(request: Request) -> dict[str, Any]:
            await record(request)
            items = [{"id": "api-1", "name": "PizzaShack", "version": "1.0.0", "provider": "alice"}]
            return {"count": 1, "list": items, "pagination": {"total": 1}}

        @peers.post("/api/am/publisher/v4/internal/apis/{api_id}/change-provider")
        async def change_provider(api_id: str, request: Request) -> JSONResponse:
            await record(request)
            if api_id == "missing":
                return JSONResponse({"code": 404, "message": "Not Found", "description": "no such API"}, 404)
            return JSONResponse({"id": api_id})

        @peers.get("/api/am/devportal/v3/internal/applications")
        async def applications(request: Request) -> dict[str, Any]:
            await record(request)
            app = {
                "applicationId": "app-1",
                "name": "Shop",
                "owner": "bob",
                "status": "APPROVED",
                "groups": [],
            }
            return {"count": 1, "list": [app], "pagination": {"total": 1}}

        @peers.post("/api/am/devportal/v3/internal/applications/{app_id}/change-owner")
        async def change_owner(app_id: str, request: Request) -> dict[str, Any]:
            await record(request)
            return {"applicationId": app_id}

        @peers.get("/idp/.well-known/openid-configuration")
        async def well_known(request: Request) -> dict[str, Any]:
            await record(request)
            return WELL_KNOWN

        return peers

    def to(self, path: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == path]


@dataclass
class Admin:
    app: Any
    client: httpx.AsyncClient
    bus: InProcessBus
    tokens: TokenFactory
    peers: Peers
    events: list[tuple[str, CloudEvent]]

    def auth(
        self, scopes: str = ADMIN_SCOPES, *, tenant: str = "carbon.super", user: str = "admin"
    ) -> dict[str, str]:
        return self.tokens.headers(user, scopes, tenant=tenant)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth())
        return await self.client.get(f"/api/am/admin/v4{path}", **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth())
        return await self.client.post(f"/api/am/admin/v4{path}", **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth())
        return await self.client.put(f"/api/am/admin/v4{path}", **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth())
        return await self.client.patch(f"/api/am/admin/v4{path}", **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth())
        return await self.client.delete(f"/api/am/admin/v4{path}", **kwargs)

    async def settle(self) -> None:
        """Let the outbox relay publish and every consumer handle what is pending."""
        for _ in range(200):
            async with self.app.state.database.session() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            if not pending:
                break
            await asyncio.sleep(0.01)
        await self.bus.drain()

    async def events_of(self, topic: str) -> list[CloudEvent]:
        await self.settle()
        return [e for t, e in self.events if t == topic]

    async def publish(
        self, topic: str, type_: str, subject: str, data: dict[str, Any], tenant: str = "carbon.super"
    ) -> CloudEvent:
        """An event as another service would send it."""
        event = new_event("/test", type_, subject, data, tenant=tenant)
        await self.bus.publish(topic, event)
        await self.bus.drain()
        return event


def settings_for(database_url: str) -> Settings:
    return Settings(mode="development", database_url=database_url, outbox_poll_interval=0.05, log_json=False)


@contextlib.asynccontextmanager
async def running_admin(tokens: TokenFactory, database_url: str) -> AsyncIterator[Admin]:
    bus = InProcessBus(retry_delay=0.01)
    events: list[tuple[str, CloudEvent]] = []

    def watcher(topic: str) -> Any:
        async def handle(event: CloudEvent) -> None:
            events.append((topic, event))

        return handle

    for topic in Topic:
        bus.subscribe([topic], f"test-watch-{topic}", watcher(topic))
    peers = Peers()
    async with running_service(create_app, settings_for(database_url), tokens, bus=bus) as (app, client):
        await bus.start()
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=peers.app()), base_url="http://peers")
        app.state.http = http
        app.state.outbound = http  # the peers stand for public hosts here
        try:
            yield Admin(app, client, bus, tokens, peers, events)
        finally:
            await bus.stop()
            await http.aclose()
