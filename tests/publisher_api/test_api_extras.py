"""The smaller /apis operations: checks, probes, monetization, environment properties, mock scripts,
test keys, deployments' visibility, pending lifecycle tasks and the unified search."""

from __future__ import annotations

from typing import Any

import pytest

from tests.publisher_api.conftest import BASE, Publisher, workflow_config
from tests.publisher_api.fakes import FakeServices


@pytest.fixture
async def services(publisher: Publisher) -> Any:
    fake = FakeServices()
    original = publisher.app.state.http, publisher.app.state.outbound
    publisher.app.state.http = publisher.app.state.outbound = fake.client()
    yield fake
    await publisher.app.state.http.aclose()
    publisher.app.state.http, publisher.app.state.outbound = original


async def test_validate_answers_200_for_a_taken_name_or_context_and_404_otherwise(
    publisher: Publisher,
) -> None:
    await publisher.create_api()
    for query, status in (("name:pizza shack", 200), ("context:/pizza", 200), ("name:Other", 404)):
        response = await publisher.client.post(
            f"{BASE}/apis/validate", params={"query": query}, headers=publisher.auth()
        )
        assert response.status_code == status, query


async def test_validate_endpoint_reports_the_backends_answer(
    publisher: Publisher, services: FakeServices
) -> None:
    up = await publisher.client.post(
        f"{BASE}/apis/validate-endpoint",
        params={"endpointUrl": "http://backend/backend/up"},
        headers=publisher.auth(),
    )
    assert up.json()["statusCode"] == 200
    missing = await publisher.client.post(
        f"{BASE}/apis/validate-endpoint",
        params={"endpointUrl": "http://backend/nothing"},
        headers=publisher.auth(),
    )
    assert missing.json()["statusCode"] == 404


async def test_document_validate_checks_the_name(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE"},
        headers=publisher.auth(),
    )
    url = f"{BASE}/apis/{api['id']}/documents/validate"
    assert (
        await publisher.client.post(url, params={"name": "Guide"}, headers=publisher.auth())
    ).status_code == 200
    assert (
        await publisher.client.post(url, params={"name": "Other"}, headers=publisher.auth())
    ).status_code == 404


async def test_environment_properties_reach_the_artifact_of_that_environment(publisher: Publisher) -> None:
    api = await publisher.create_api()
    url = f"{BASE}/apis/{api['id']}/environments/Default/keys"
    assert (await publisher.client.put(url, json={"region": "eu"}, headers=publisher.auth())).json() == {
        "region": "eu"
    }
    assert (await publisher.client.get(url, headers=publisher.auth())).json() == {"region": "eu"}
    await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "description": "kept"}, headers=publisher.auth()
    )
    assert (await publisher.client.get(url, headers=publisher.auth())).json() == {"region": "eu"}
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert artifact.json()["environmentProperties"] == {"region": "eu"}
    unknown = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/environments/Nowhere/keys", headers=publisher.auth()
    )
    assert unknown.status_code == 404


async def test_generate_key_has_the_key_manager_sign_a_key_for_the_api(
    publisher: Publisher, services: FakeServices
) -> None:
    api = await publisher.create_api()
    response = await publisher.client.post(f"{BASE}/apis/{api['id']}/generate-key", headers=publisher.auth())
    assert response.json() == {"apikey": "key-for-Pizza Shack", "validityTime": 3600}
    assert services.calls[-1][1] == "/api/am/keymanager/v1/internal/api-keys"
    refused = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/generate-key", headers=publisher.auth(["apim:api_view"])
    )
    assert refused.status_code == 403


async def test_a_deployments_devportal_visibility_can_be_changed(publisher: Publisher) -> None:
    api = await publisher.create_api()
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    import base64

    deployment_id = base64.urlsafe_b64encode(b"Default").decode().rstrip("=")
    response = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/deployments/{deployment_id}",
        json={"displayOnDevportal": False},
        headers=publisher.auth(),
    )
    assert response.json()["displayOnDevportal"] is False
    listed = await publisher.client.get(f"{BASE}/apis/{api['id']}/deployments", headers=publisher.auth())
    assert listed.json()["list"][0]["displayOnDevportal"] is False


async def test_a_pending_lifecycle_change_can_be_withdrawn(publisher: Publisher) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_API_STATE"))
    api = await publisher.create_api()
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 202
    url = f"{BASE}/apis/{api['id']}/lifecycle-state/pending-tasks"
    assert (await publisher.client.delete(url, headers=publisher.auth())).status_code == 200
    current = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert (current.json()["lifeCycleStatus"], current.json().get("workflowStatus")) == ("CREATED", None)
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 202


async def test_search_finds_apis_products_and_documents(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={
            "name": "Ordering",
            "type": "HOWTO",
            "sourceType": "INLINE",
            "summary": "How to order a calzone",
        },
        headers=publisher.auth(),
    )
    found = await publisher.client.get(f"{BASE}/search", params={"query": "pizza"}, headers=publisher.auth())
    assert [(r["name"], r["type"]) for r in found.json()["list"]] == [("Pizza Shack", "API")]
    docs = await publisher.client.get(
        f"{BASE}/search", params={"query": "content:calzone"}, headers=publisher.auth()
    )
    assert [(r["name"], r["type"], r["apiUUID"]) for r in docs.json()["list"]] == [
        ("Ordering", "DOC", api["id"])
    ]
    other = publisher.auth(user="bob@acme.com", tenant="acme.com")
    assert (await publisher.client.get(f"{BASE}/search", params={"query": "pizza"}, headers=other)).json()[
        "count"
    ] == 0
