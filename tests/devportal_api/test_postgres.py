"""The devportal on real PostgreSQL: its migrations and the quick-start round trip."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import infra_value
from tests.devportal_api.conftest import BASE, running_portal
from tests.devportal_api.helpers import create_app, generate_keys, subscribe
from tests.support.tokens import TokenFactory

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
async def postgres_url() -> AsyncIterator[str]:
    server = infra_value("APIM_TEST_POSTGRES_URL")
    name = f"apim_devportal_{uuid.uuid4().hex[:12]}"
    await _server_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await _server_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_service_migrates_and_serves_the_quick_start_on_postgresql(
    tokens: TokenFactory, postgres_url: str
) -> None:
    async with running_portal(tokens, postgres_url) as portal:
        api = await portal.publish_api(name="PizzaShackAPI", description="Order pizza")
        h = portal.headers()
        app = await create_app(portal, h)
        assert (await subscribe(portal, h, app["applicationId"], api["id"])).status_code == 201
        assert (await generate_keys(portal, h, app["applicationId"])).status_code == 200
        r = await portal.client.get(f"{BASE}/search", params={"query": "pizza"})
        assert [a["name"] for a in r.json()["list"]] == ["PizzaShackAPI"]
        r = await portal.client.delete(f"{BASE}/applications/{app['applicationId']}", headers=h)
        assert r.status_code == 200
    async with running_portal(tokens, postgres_url) as portal:
        r = await portal.client.get(f"{BASE}/apis")
        assert r.json()["count"] == 1
