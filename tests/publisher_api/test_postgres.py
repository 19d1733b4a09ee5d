"""The publisher on real PostgreSQL: its migrations, and a round trip through every table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.publisher_api.conftest import BASE, Publisher
from tests.support.postgres import fresh_database

pytestmark = pytest.mark.infra


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_database("apim_publisher") as url:
        yield url


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
