"""``POST /apis/import``: an exported project comes back as the same API, with documents,
policies, a deployed revision and its lifecycle state; overwrite, rotation and broken projects."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import yaml

from tests.publisher_api.conftest import BASE, Publisher, edit_project

IMPORT_SCOPES = ["apim:api_import_export", "apim:api_view"]
ADD_HEADER = {
    "policyName": "addHeader",
    "policyVersion": "v1",
    "parameters": {"headerName": "X-Shop", "headerValue": "pizza"},
}


async def _export(publisher: Publisher, api_id: str) -> bytes:
    response = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": api_id}, headers=publisher.auth()
    )
    assert response.status_code == 200, response.text
    return response.content


async def _import(publisher: Publisher, archive: bytes, **params: Any) -> Any:
    return await publisher.client.post(
        f"{BASE}/apis/import",
        params={k: str(v).lower() for k, v in params.items()},
        files={"file": ("project.zip", archive, "application/zip")},
        headers=publisher.auth(IMPORT_SCOPES),
    )


async def _published_api_with_everything(publisher: Publisher) -> dict[str, Any]:
    operations = [{"target": "/menu", "verb": "GET", "operationPolicies": {"request": [ADD_HEADER]}}]
    api = await publisher.create_api({"operations": operations, "description": "Pizzas"})
    document = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/documents",
        json={
            "name": "Ordering Guide",
            "type": "HOWTO",
            "sourceType": "MARKDOWN",
            "inlineContent": "# Order",
        },
        headers=publisher.auth(),
    )
    assert document.status_code == 201, document.text
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 200
    return api


async def test_export_holds_documents_policies_and_deployment_environments(publisher: Publisher) -> None:
    api = await _published_api_with_everything(publisher)
    archive = zipfile.ZipFile(io.BytesIO(await _export(publisher, api["id"])))
    names = set(archive.namelist())
    assert "PizzaShack-1.0.0/Docs/OrderingGuide/OrderingGuide" in names
    assert archive.read("PizzaShack-1.0.0/Docs/OrderingGuide/OrderingGuide") == b"# Order"
    policy = yaml.safe_load(archive.read("PizzaShack-1.0.0/Policies/addHeader_v1.yaml"))
    assert policy["data"] == {"name": "addHeader", "version": "v1", "applicableFlows": ["request"]}
    environments = yaml.safe_load(archive.read("PizzaShack-1.0.0/deployment_environments.yaml"))
    assert environments["type"] == "deployment_environments"
    assert environments["data"] == [
        {"deploymentEnvironment": "Default", "deploymentVhost": "localhost", "displayOnDevportal": True}
    ]


async def test_an_exported_project_imports_back_as_the_same_api(publisher: Publisher) -> None:
    api = await _published_api_with_everything(publisher)
    archive = await _export(publisher, api["id"])
    deleted = await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert deleted.status_code == 200

    imported = await _import(publisher, archive)

    assert imported.status_code == 200, imported.text
    new_id = imported.json()["id"]
    assert imported.json()["revision"] == "1"
    again = (await publisher.client.get(f"{BASE}/apis/{new_id}", headers=publisher.auth())).json()
    assert again["description"] == "Pizzas"
    assert again["lifeCycleStatus"] == "PUBLISHED"
    assert again["operations"][0]["operationPolicies"]["request"][0]["policyName"] == "addHeader"
    deployments = await publisher.client.get(f"{BASE}/apis/{new_id}/deployments", headers=publisher.auth())
    assert [d["name"] for d in deployments.json()["list"]] == ["Default"]
    docs = await publisher.client.get(f"{BASE}/apis/{new_id}/documents", headers=publisher.auth())
    [document] = docs.json()["list"]
    content = await publisher.client.get(
        f"{BASE}/apis/{new_id}/documents/{document['documentId']}/content", headers=publisher.auth()
    )
    assert content.text == "# Order"


async def test_an_existing_api_is_refused_without_overwrite_and_updated_with_it(publisher: Publisher) -> None:
    api = await publisher.create_api()
    archive = edit_project(
        await _export(publisher, api["id"]),
        "api.yaml",
        lambda data: data.update(description="Now with calzone"),
    )

    refused = await _import(publisher, archive)
    assert refused.status_code == 409
    assert refused.json()["code"] == 900250

    updated = await _import(publisher, archive, overwrite=True)
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == api["id"]
    again = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert again.json()["description"] == "Now with calzone"


async def test_rotate_revision_makes_room_when_five_revisions_exist(publisher: Publisher) -> None:
    api = await _published_api_with_everything(publisher)
    for _ in range(4):
        await publisher.revise(api["id"])
    archive = await _export(publisher, api["id"])

    full = await _import(publisher, archive, overwrite=True)
    assert full.status_code == 400
    assert full.json()["code"] == 900351

    rotated = await _import(publisher, archive, overwrite=True, rotateRevision=True)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["revision"] == "6"
    revisions = await publisher.client.get(f"{BASE}/apis/{api['id']}/revisions", headers=publisher.auth())
    assert [r["displayName"] for r in revisions.json()["list"]] == [f"Revision {n}" for n in range(2, 7)]


async def test_a_project_without_a_descriptor_is_a_clear_400(publisher: Publisher) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("Pizza-1.0.0/Definitions/swagger.yaml", "openapi: 3.0.1")
    response = await _import(publisher, out.getvalue())
    assert response.status_code == 400
    assert "no api.yaml" in response.json()["description"]
    not_zip = await _import(publisher, b"plain text")
    assert not_zip.status_code == 400
    assert "not a zip archive" in not_zip.json()["description"]


async def test_a_broken_descriptor_names_the_file_and_field(publisher: Publisher) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("Pizza-1.0.0/api.yaml", "type: api\nversion: v4.3.0\ndata:\n  name: Pizza\n")
    response = await _import(publisher, out.getvalue())
    assert response.status_code == 400
    assert response.json()["description"].startswith("api.yaml: context")


async def test_import_needs_the_import_export_scope(publisher: Publisher) -> None:
    api = await publisher.create_api()
    archive = await _export(publisher, api["id"])
    response = await publisher.client.post(
        f"{BASE}/apis/import",
        files={"file": ("project.zip", archive, "application/zip")},
        headers=publisher.auth(["apim:api_create", "apim:api_publish"]),
    )
    assert response.status_code == 403
    assert response.json()["code"] == 900910
