"""The publisher on real PostgreSQL: its migrations, and a round trip through every table."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import infra_value
from tests.publisher_api.conftest import BASE, Publisher

pytestmark = pytest.mark.infra


async def _server_sql(url: str, statement: str) -> None:
    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    server = infra_value("APIM_TEST_POSTGRES_URL")
    name = f"apim_publisher_{uuid.uuid4().hex[:12]}"
    await _server_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await _server_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_apis_revisions_deployments_and_documents_work_on_postgresql(publisher: Publisher) -> None:
    api = await publisher.create_api()
    duplicate = await publisher.client.post(
        f"{BASE}/apis",
        json={"name": "pizza shack", "context": "/p2", "version": "1"},
        headers=publisher.auth(),
    )
    assert duplicate.json()["code"] == 900250
    document = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "visibility": "API_LEVEL"},
        headers=publisher.auth(),
    )
    assert document.status_code == 201
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 200
    history = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/lifecycle-history", headers=publisher.auth()
    )
    assert history.json()["count"] == 2
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert artifact.json()["lifeCycleStatus"] == "PUBLISHED"
    assert (
        await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    ).status_code == 200
    await publisher.settle()
    assert [e.type for e in publisher.of_type("deployment.undeployed")] == ["deployment.undeployed"]
