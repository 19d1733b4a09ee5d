"""The Admin API on real PostgreSQL: migrations, idempotent bootstrap and the usual round trip."""

from collections.abc import Iterator

import pytest

from tests.admin_api.harness import running_admin
from tests.support.postgres import fresh_database
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.infra


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database("apim_admin") as url:
        yield url


async def test_the_service_migrates_seeds_once_and_serves_on_postgresql(
    tokens: TokenFactory, postgres_url: str
) -> None:
    for _ in range(2):
        async with running_admin(tokens, postgres_url) as admin:
            tiers = (await admin.get("/throttling/policies/subscription")).json()["list"]
            assert sorted(t["policyName"] for t in tiers if not t["policyName"].startswith("Async")) == [
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
