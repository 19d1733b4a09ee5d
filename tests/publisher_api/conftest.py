"""A running publisher-api on SQLite, an in-process bus it shares with the test, and helpers."""

from __future__ import annotations

import asyncio
import contextlib
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import func, select

from apim_common.events import CloudEvent, InProcessBus, new_event
from apim_publisher.app import create_app
from apim_publisher.models import outbox
from apim_publisher.settings import Settings
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

BASE = "/api/am/publisher/v4"
PUBLISHER_SCOPES = [
    "apim:api_view",
    "apim:api_create",
    "apim:api_publish",
    "apim:api_manage",
    "apim:api_delete",
    "apim:document_manage",
]
PIZZA = {
    "name": "Pizza Shack",
    "context": "/pizza",
    "version": "1.0.0",
    "policies": ["Unlimited"],
    "endpointConfig": {
        "endpoint_type": "http",
        "production_endpoints": {"url": "https://backend.example.com/pizza"},
        "sandbox_endpoints": {"url": "https://sandbox.example.com/pizza"},
    },
    "operations": [{"target": "/menu", "verb": "GET", "authType": "Application & Application User"}],
}


@dataclass
class Publisher:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: TokenFactory
    bus: InProcessBus
    events: list[tuple[str, CloudEvent]] = field(default_factory=list)

    def auth(
        self, scopes: list[str] | str | None = None, *, user: str = "admin", **kwargs: Any
    ) -> dict[str, str]:
        return self.tokens.headers(user, PUBLISHER_SCOPES if scopes is None else scopes, **kwargs)

    def internal(self) -> dict[str, str]:
        return self.tokens.headers("apim-internal-services", "apim:internal")

    async def create_api(self, overrides: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/apis", json={**PIZZA, **(overrides or {})}, headers=self.auth(**kwargs)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def revise(self, api_id: str, description: str = "rev") -> dict[str, Any]:
        response = await self.client.post(
            f"{BASE}/apis/{api_id}/revisions", json={"description": description}, headers=self.auth()
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def deploy(self, api_id: str, revision_id: str, environment: str = "Default") -> httpx.Response:
        return await self.client.post(
            f"{BASE}/apis/{api_id}/deploy-revision",
            params={"revisionId": revision_id},
            json=[{"name": environment, "vhost": "localhost", "displayOnDevportal": True}],
            headers=self.auth(),
        )

    async def lifecycle(self, api_id: str, action: str) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/apis/change-lifecycle", params={"apiId": api_id, "action": action}, headers=self.auth()
        )

    async def tell(
        self, topic: str, type_: str, data: dict[str, Any], *, tenant: str = "carbon.super"
    ) -> None:
        """Publish an event as another service would, and wait until it has been handled."""
        await self.bus.publish(topic, new_event("admin-api", type_, type_, data, tenant=tenant))
        await self.bus.drain()

    async def settle(self) -> None:
        """Let the outbox relay publish whatever the last requests wrote."""
        database = self.app.state.database
        pending = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        for _ in range(250):
            async with database.session() as session:
                if not await session.scalar(pending):
                    break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the outbox relay did not publish in time")
        await self.bus.drain()

    def of_type(self, type_: str) -> list[CloudEvent]:
        return [e for _, e in self.events if e.type == type_]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The publisher's database; the PostgreSQL tests override it."""
    return sqlite_url


@pytest.fixture
async def publisher(tokens: TokenFactory, database_url: str) -> AsyncIterator[Publisher]:
    async with running_publisher(tokens, database_url) as running:
        yield running


@contextlib.asynccontextmanager
async def running_publisher(tokens: TokenFactory, database_url: str) -> AsyncIterator[Publisher]:
    """The publisher app on ``database_url`` with its events recorded (a module may share one)."""
    bus = InProcessBus(retry_delay=0.05)
    recorded: list[tuple[str, CloudEvent]] = []

    def recorder(topic: str) -> Callable[[CloudEvent], Any]:
        async def record(event: CloudEvent) -> None:
            recorded.append((topic, event))

        return record

    for topic in ("apis", "deployments", "workflows", "gateway-policies"):
        bus.subscribe([topic], f"test-{topic}", recorder(topic))
    await bus.start()
    settings = Settings(mode="development", database_url=database_url, outbox_poll_interval=0.05)
    try:
        async with running_service(create_app, settings, tokens, bus=bus) as (app, client):
            yield Publisher(app, client, tokens, bus, recorded)
    finally:
        await bus.stop()


def workflow_config(*enabled: str) -> dict[str, Any]:
    return {"config": {"Workflows": {kind: {"enabled": True} for kind in enabled}}}


def edit_project(archive: bytes, descriptor: str, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The exported project ``archive`` with ``edit`` applied to its ``descriptor`` file's data
    (``api.yaml``, ``api_product.yaml``), everything else as it was."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name.endswith(f"/{descriptor}"):
                document = yaml.safe_load(content)
                edit(document["data"])
                content = yaml.safe_dump(document).encode()
            target.writestr(name, content)
    return out.getvalue()
