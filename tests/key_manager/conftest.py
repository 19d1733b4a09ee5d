"""A running key manager per test: SQLite in a temp dir, development mode, cheap password hashing.

The key manager checks bearer tokens against its own keys, so tokens here are ones it issued.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from apim_common.events.bus import InProcessBus
from apim_common.service_auth import INTERNAL_CLIENT_ID, internal_client_secret
from apim_key_manager.app import create_app
from apim_key_manager.settings import Settings

DCR = "/client-registration/v0.17/register"
ALL_GRANTS = "client_credentials password refresh_token urn:ietf:params:oauth:grant-type:jwt-bearer"


def basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def key_manager_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mode": "development",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'key_manager.db'}",
        "password_time_cost": 1,
        "password_memory_cost": 1024,
        "cache_ttl": 0,
        "log_json": False,
        **overrides,
    }
    return Settings(**values)


@dataclass
class KeyManagerClient:
    app: Any
    http: httpx.AsyncClient
    settings: Settings
    bus: InProcessBus

    async def register(
        self,
        name: str = "rest_api_publisher",
        *,
        owner: str = "admin",
        grants: str = ALL_GRANTS,
        auth: tuple[str, str] = ("admin", "admin"),
    ) -> dict[str, Any]:
        r = await self.http.post(
            DCR,
            json={
                "callbackUrl": "www.google.lk",
                "clientName": name,
                "owner": owner,
                "grantType": grants,
                "saasApp": True,
            },
            headers=basic(*auth),
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def token(self, client: dict[str, Any], **form: str) -> httpx.Response:
        return await self.http.post(
            "/oauth2/token", data=form, headers=basic(client["clientId"], client["clientSecret"])
        )

    async def password_token(
        self, client: dict[str, Any], username: str, password: str, scope: str = ""
    ) -> dict[str, Any]:
        r = await self.token(client, grant_type="password", username=username, password=password, scope=scope)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def admin_headers(self, scope: str = "apim:admin") -> dict[str, str]:
        client = await self.register("admin_tools")
        body = await self.password_token(client, "admin", "admin", scope)
        return {"Authorization": f"Bearer {body['access_token']}"}

    async def service_headers(self) -> dict[str, str]:
        r = await self.http.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "apim:internal"},
            auth=(INTERNAL_CLIENT_ID, internal_client_secret(self.settings.secret())),
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def flush_events(self) -> None:
        """Wait for the service's own relay to publish its outbox, then for the bus to deliver."""
        database = self.app.state.key_manager.database
        for _ in range(100):
            async with database.session() as session:
                pending = await session.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            if not pending:
                break
            await asyncio.sleep(0.02)
        await self.bus.drain()

    async def api_key(self, username: str = "admin") -> str:
        """An API key the key manager signs for the devportal, for an application of ``username``."""
        body = {
            "username": username,
            "keyType": "PRODUCTION",
            "application": {"uuid": "app-1", "name": "PizzaApp", "owner": username},
            "validityPeriod": 3600,
        }
        r = await self.http.post(
            "/api/am/keymanager/v1/internal/api-keys", json=body, headers=await self.service_headers()
        )
        assert r.status_code == 200, r.text
        key: str = r.json()["apikey"]
        return key

    async def create_user(self, username: str, password: str, roles: list[str]) -> dict[str, Any]:
        r = await self.http.post(
            "/scim2/Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": username,
                "password": password,
                "roles": [{"value": role} for role in roles],
            },
            headers=basic("admin", "admin"),
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def jwks(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.http.get("/oauth2/jwks")).json()
        return body


@pytest.fixture
async def km(tmp_path: Path) -> AsyncIterator[KeyManagerClient]:
    settings = key_manager_settings(tmp_path)
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        await bus.start()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield KeyManagerClient(app, http, settings, bus)
        await bus.stop()
