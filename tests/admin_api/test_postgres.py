"""The Admin API on real PostgreSQL: migrations, idempotent bootstrap and the usual round trip."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.admin_api.harness import running_admin
from tests.conftest import infra_value
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
    name = f"apim_admin_{uuid.uuid4().hex[:12]}"
    await _server_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await asyncio.sleep(0)
        await _server_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_service_migrates_seeds_once_and_serves_on_postgresql(
    tokens: TokenFactory, postgres_url: str
) -> None:
    for _ in range(2):
        async with running_admin(tokens, postgres_url) as admin:
            tiers = (await admin.get("/throttling/policies/subscription")).json()["list"]
            assert sorted(t["policyName"] for t in tiers) == [
                "Bronze",
                "Gold",
                "Silver",
                "Unauthenticated",
                "Unlimited",
            ]
    async with running_admin(tokens, postgres_url) as admin:
        limit = {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 3},
        }
        created = await admin.post(
            "/throttling/policies/application", json={"policyName": "PgTier", "defaultLimit": limit}
        )
        assert created.status_code == 201, created.text
        await admin.publish(
            "applications",
            "application.created",
            "a1",
            {"applicationId": "a1", "name": "A", "owner": "o", "throttlingPolicy": "PgTier"},
        )
        assert (
            await admin.delete(f"/throttling/policies/application/{created.json()['policyId']}")
        ).status_code == 409
        assert [e.type for e in await admin.events_of("throttle-policies")] == ["throttle-policy.created"]
