"""API products: operations of several APIs bundled, with versions, revisions, deployments, lifecycle."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import yaml

from tests.publisher_api.conftest import BASE, Publisher, edit_project


async def two_apis(publisher: Publisher) -> tuple[dict[str, Any], dict[str, Any]]:
    pizza = await publisher.create_api()
    drinks = await publisher.create_api(
        {
            "name": "Drinks",
            "context": "/drinks",
            "endpointConfig": {
                "endpoint_type": "http",
                "production_endpoints": {"url": "https://drinks.example.com"},
            },
            "operations": [{"target": "/drinks", "verb": "GET"}, {"target": "/drinks", "verb": "POST"}],
        }
    )
    return pizza, drinks


def product_body(pizza: dict[str, Any], drinks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Lunch",
        "context": "/lunch",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "apis": [
            {"apiId": pizza["id"], "operations": [{"target": "/menu", "verb": "GET"}]},
            {"apiId": drinks["id"], "operations": [{"target": "/drinks", "verb": "GET"}]},
        ],
        **extra,
    }


async def create_product(publisher: Publisher) -> dict[str, Any]:
    pizza, drinks = await two_apis(publisher)
    response = await publisher.client.post(
        f"{BASE}/api-products", json=product_body(pizza, drinks), headers=publisher.auth()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_product_bundles_operations_of_several_apis(publisher: Publisher) -> None:
    product = await create_product(publisher)
    assert (product["state"], product["version"], product["apiType"]) == ("CREATED", "1.0.0", "APIPRODUCT")
    assert [a["name"] for a in product["apis"]] == ["Pizza Shack", "Drinks"]
    assert product["apis"][0]["operations"][0]["authType"] == "Application & Application User"
    listed = await publisher.client.get(f"{BASE}/api-products", headers=publisher.auth())
    assert [p["name"] for p in listed.json()["list"]] == ["Lunch"]
    apis = await publisher.client.get(f"{BASE}/apis", headers=publisher.auth())
    assert "Lunch" not in [a["name"] for a in apis.json()["list"]]
    assert (
        await publisher.client.get(f"{BASE}/apis/{product['id']}", headers=publisher.auth())
    ).status_code == 404
    swagger = await publisher.client.get(
        f"{BASE}/api-products/{product['id']}/swagger", headers=publisher.auth()
    )
    assert set(swagger.json()["paths"]) == {"/menu", "/drinks"}
    await publisher.settle()
    assert publisher.of_type("api-product.created")[0].data["name"] == "Lunch"


async def test_a_product_naming_an_unknown_api_or_operation_is_400(publisher: Publisher) -> None:
    pizza, drinks = await two_apis(publisher)
    body = product_body(pizza, drinks)
    body["apis"][1]["operations"] = [{"target": "/drinks", "verb": "DELETE"}]
    assert (
        await publisher.client.post(f"{BASE}/api-products", json=body, headers=publisher.auth())
    ).status_code == 400
    body["apis"][1] = {"apiId": "missing", "operations": [{"target": "/x", "verb": "GET"}]}
    assert (
        await publisher.client.post(f"{BASE}/api-products", json=body, headers=publisher.auth())
    ).status_code == 400


async def test_copy_api_products_makes_version_2_beside_1(publisher: Publisher) -> None:
    product = await create_product(publisher)
    copied = await publisher.client.post(
        f"{BASE}/api-products/copy-api-products",
        params={"apiProductId": product["id"], "newVersion": "2.0.0", "defaultVersion": "true"},
        headers=publisher.auth(),
    )
    assert copied.status_code == 201, copied.text
    assert (copied.json()["version"], copied.json()["isDefaultVersion"]) == ("2.0.0", True)
    listed = await publisher.client.get(f"{BASE}/api-products", headers=publisher.auth())
    assert sorted(p["version"] for p in listed.json()["list"]) == ["1.0.0", "2.0.0"]
    again = await publisher.client.post(
        f"{BASE}/api-products/copy-api-products",
        params={"apiProductId": product["id"], "newVersion": "2.0.0"},
        headers=publisher.auth(),
    )
    assert again.status_code == 409


async def test_a_deployed_product_routes_each_operation_to_its_member_backend(publisher: Publisher) -> None:
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}"
    revision = await publisher.client.post(
        f"{url}/revisions", json={"description": "r1"}, headers=publisher.auth()
    )
    assert revision.status_code == 201, revision.text
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    snapshot = await publisher.client.get(
        f"{BASE}/internal/snapshot", params={"environment": "Default"}, headers=publisher.internal()
    )
    artifact = snapshot.json()["artifacts"][0]
    assert (artifact["type"], artifact["context"], artifact["version"]) == ("APIProduct", "/lunch", "1.0.0")
    routes = {(o["verb"], o["target"]): o for o in artifact["operations"]}
    assert set(routes) == {("GET", "/menu"), ("GET", "/drinks")}
    assert (
        routes[("GET", "/menu")]["endpointConfig"]["production_endpoints"]["url"]
        == "https://backend.example.com/pizza"
    )
    assert (
        routes[("GET", "/drinks")]["endpointConfig"]["production_endpoints"]["url"]
        == "https://drinks.example.com"
    )
    assert routes[("GET", "/drinks")]["apiContext"] == "/drinks"
    await publisher.settle()
    event = publisher.of_type("deployment.deployed")[0]
    assert (event.data["apiId"], event.data["context"]) == (product["id"], "/lunch")
    deployments = await publisher.client.get(f"{url}/deployments", headers=publisher.auth())
    assert [d["name"] for d in deployments.json()["list"]] == ["Default"]
    hidden = await publisher.client.put(
        f"{url}/deployments/Default", json={"displayOnDevportal": False}, headers=publisher.auth()
    )
    assert hidden.json()["displayOnDevportal"] is False
    undeployed = await publisher.client.post(
        f"{url}/undeploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default"}],
        headers=publisher.auth(),
    )
    assert undeployed.json() == []


async def test_product_revisions_restore_and_deletion(publisher: Publisher) -> None:
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}"
    revision = (await publisher.client.post(f"{url}/revisions", json={}, headers=publisher.auth())).json()
    changed = {**product, "description": "changed", "apis": product["apis"][:1]}
    assert (await publisher.client.put(url, json=changed, headers=publisher.auth())).status_code == 200
    restored = await publisher.client.post(
        f"{url}/restore-revision", params={"revisionId": revision["id"]}, headers=publisher.auth()
    )
    assert restored.status_code == 201
    assert len(restored.json()["apis"]) == 2
    listed = await publisher.client.get(f"{url}/revisions", headers=publisher.auth())
    assert listed.json()["count"] == 1
    one = await publisher.client.get(f"{url}/revisions/{revision['id']}", headers=publisher.auth())
    assert one.json()["displayName"] == "Revision 1"
    deleted = await publisher.client.delete(f"{url}/revisions/{revision['id']}", headers=publisher.auth())
    assert deleted.json()["count"] == 0


async def test_product_lifecycle_changes_state_and_history(publisher: Publisher) -> None:
    product = await create_product(publisher)
    changed = await publisher.client.post(
        f"{BASE}/api-products/change-lifecycle",
        params={"apiProductId": product["id"], "action": "Publish"},
        headers=publisher.auth(),
    )
    assert changed.status_code == 200, changed.text
    state = await publisher.client.get(
        f"{BASE}/api-products/{product['id']}/lifecycle-state", headers=publisher.auth()
    )
    assert state.json()["state"] == "Published"
    history = await publisher.client.get(
        f"{BASE}/api-products/{product['id']}/lifecycle-history", headers=publisher.auth()
    )
    assert [h["postState"] for h in history.json()["list"]] == ["Created", "Published"]
    await publisher.settle()
    assert publisher.of_type("api-product.lifecycle-changed")[0].data["state"] == "PUBLISHED"
    assert not publisher.of_type("api.lifecycle-changed")


async def test_a_pending_product_lifecycle_change_can_be_withdrawn(publisher: Publisher) -> None:
    await publisher.tell(
        "tenants", "tenant-config.updated", {"config": {"Workflows": {"AM_API_PRODUCT_STATE": True}}}
    )
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}"
    pending = await publisher.client.post(
        f"{BASE}/api-products/change-lifecycle",
        params={"apiProductId": product["id"], "action": "Publish"},
        headers=publisher.auth(),
    )
    assert pending.status_code == 202
    assert (
        await publisher.client.delete(f"{url}/lifecycle-state/pending-tasks", headers=publisher.auth())
    ).status_code == 200
    assert (await publisher.client.get(url, headers=publisher.auth())).json()["workflowStatus"] is None
    assert (
        await publisher.client.delete(f"{url}/lifecycle-state/pending-tasks", headers=publisher.auth())
    ).status_code == 404


async def test_product_documents_thumbnail_outdated_and_export(publisher: Publisher) -> None:
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}"
    document = await publisher.client.post(
        f"{url}/documents",
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE"},
        headers=publisher.auth(),
    )
    assert document.status_code == 201
    doc_url = f"{url}/documents/{document.json()['documentId']}"
    await publisher.client.post(
        f"{doc_url}/content", data={"inlineContent": "Order lunch"}, headers=publisher.auth()
    )
    assert (await publisher.client.get(f"{doc_url}/content", headers=publisher.auth())).text == "Order lunch"
    assert (await publisher.client.get(f"{url}/documents", headers=publisher.auth())).json()["count"] == 1
    put = await publisher.client.put(
        doc_url,
        json={"name": "Guide", "type": "HOWTO", "sourceType": "INLINE", "summary": "s"},
        headers=publisher.auth(),
    )
    assert put.json()["summary"] == "s"
    assert (await publisher.client.get(doc_url, headers=publisher.auth())).status_code == 200
    assert (await publisher.client.delete(doc_url, headers=publisher.auth())).status_code == 200
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 16
    thumb = await publisher.client.put(
        f"{url}/thumbnail", files={"file": ("t.png", png, "image/png")}, headers=publisher.auth()
    )
    assert thumb.status_code == 200
    assert (await publisher.client.get(f"{url}/thumbnail", headers=publisher.auth())).content == png
    fresh = await publisher.client.get(f"{url}/is-outdated", headers=publisher.auth())
    assert fresh.json() == {"isOutdated": False}
    member = product["apis"][0]["apiId"]
    api = (await publisher.client.get(f"{BASE}/apis/{member}", headers=publisher.auth())).json()
    await publisher.client.put(
        f"{BASE}/apis/{member}", json={**api, "description": "new"}, headers=publisher.auth()
    )
    assert (await publisher.client.get(f"{url}/is-outdated", headers=publisher.auth())).json() == {
        "isOutdated": True
    }
    exported = await publisher.client.get(
        f"{BASE}/api-products/export", params={"name": "Lunch", "version": "1.0.0"}, headers=publisher.auth()
    )
    assert exported.headers["content-type"] == "application/zip"


async def test_a_product_document_is_served_like_an_api_document(publisher: Publisher) -> None:
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}/documents"
    created = await publisher.client.post(
        url, json={"name": "Notes", "type": "HOWTO", "sourceType": "MARKDOWN"}, headers=publisher.auth()
    )
    content_url = f"{url}/{created.json()['documentId']}/content"
    await publisher.client.post(content_url, data={"inlineContent": "# Lunch"}, headers=publisher.auth())
    served = await publisher.client.get(content_url, headers=publisher.auth())
    assert served.text == "# Lunch"
    assert served.headers["content-type"].startswith("text/markdown")
    file_doc = await publisher.client.post(
        url, json={"name": "Sheet", "type": "HOWTO", "sourceType": "FILE"}, headers=publisher.auth()
    )
    missing = await publisher.client.get(
        f"{url}/{file_doc.json()['documentId']}/content", headers=publisher.auth()
    )
    assert missing.status_code == 404
    assert missing.json()["description"] == "The document has no file yet"


async def test_products_are_isolated_per_tenant_and_scoped(publisher: Publisher) -> None:
    product = await create_product(publisher)
    other = publisher.auth(user="bob@acme.com", tenant="acme.com")
    assert (
        await publisher.client.get(f"{BASE}/api-products/{product['id']}", headers=other)
    ).status_code == 404
    viewer = publisher.auth(["apim:api_view"])
    assert (await publisher.client.get(f"{BASE}/api-products", headers=viewer)).status_code == 200
    refused = await publisher.client.delete(f"{BASE}/api-products/{product['id']}", headers=viewer)
    assert refused.status_code == 403
    deleted = await publisher.client.delete(f"{BASE}/api-products/{product['id']}", headers=publisher.auth())
    assert deleted.status_code == 200
    await publisher.settle()
    assert publisher.of_type("api-product.deleted")[0].subject == product["id"]


async def test_an_exported_product_imports_back_and_overwrites_only_when_asked(publisher: Publisher) -> None:
    product = await create_product(publisher)
    exported = await publisher.client.get(
        f"{BASE}/api-products/export", params={"name": "Lunch", "version": "1.0.0"}, headers=publisher.auth()
    )
    auth = publisher.auth(["apim:api_product_import_export", "apim:api_view"])
    files = {"file": ("lunch.zip", exported.content, "application/zip")}
    again = await publisher.client.post(f"{BASE}/api-products/import", files=files, headers=auth)
    assert again.status_code == 409
    overwritten = await publisher.client.post(
        f"{BASE}/api-products/import", params={"overwriteAPIProduct": "true"}, files=files, headers=auth
    )
    assert overwritten.status_code == 200, overwritten.text
    assert overwritten.json()["id"] == product["id"]
    await publisher.client.delete(f"{BASE}/api-products/{product['id']}", headers=publisher.auth())
    imported = await publisher.client.post(f"{BASE}/api-products/import", files=files, headers=auth)
    assert imported.status_code == 200
    assert [a["name"] for a in imported.json()["apis"]] == ["Pizza Shack", "Drinks"]


def _with_member_ids(archive: bytes, ids: list[str]) -> bytes:
    """The exported project with other member API ids, as another environment's export carries them."""

    def replace_ids(data: dict[str, Any]) -> None:
        for member, other in zip(data["apis"], ids, strict=True):
            member["apiId"] = other

    return edit_project(archive, "api_product.yaml", replace_ids)


async def _export_lunch(publisher: Publisher) -> bytes:
    exported = await publisher.client.get(
        f"{BASE}/api-products/export", params={"name": "Lunch", "version": "1.0.0"}, headers=publisher.auth()
    )
    assert exported.status_code == 200, exported.text
    return exported.content


IMPORTER = ["apim:api_product_import_export", "apim:api_view"]


async def test_an_imported_product_finds_its_apis_by_name_and_version(publisher: Publisher) -> None:
    product = await create_product(publisher)
    archive = _with_member_ids(await _export_lunch(publisher), ["not-here-1", "not-here-2"])
    await publisher.client.delete(f"{BASE}/api-products/{product['id']}", headers=publisher.auth())
    imported = await publisher.client.post(
        f"{BASE}/api-products/import",
        files={"file": ("lunch.zip", archive, "application/zip")},
        headers=publisher.auth(IMPORTER),
    )
    assert imported.status_code == 200, imported.text
    assert [m["apiId"] for m in imported.json()["apis"]] == [m["apiId"] for m in product["apis"]]


async def test_an_imported_product_without_one_of_its_apis_names_it_in_a_404(publisher: Publisher) -> None:
    product = await create_product(publisher)
    archive = await _export_lunch(publisher)
    await publisher.client.delete(f"{BASE}/api-products/{product['id']}", headers=publisher.auth())
    drinks = product["apis"][1]["apiId"]
    deleted = await publisher.client.delete(f"{BASE}/apis/{drinks}", headers=publisher.auth())
    assert deleted.status_code == 200
    refused = await publisher.client.post(
        f"{BASE}/api-products/import",
        files={"file": ("lunch.zip", archive, "application/zip")},
        headers=publisher.auth(IMPORTER),
    )
    assert refused.status_code == 404
    body = refused.json()
    assert (body["code"], body["message"]) == (900310, "API Not Found")
    assert "'Drinks' version '1.0.0'" in body["description"]
    listed = await publisher.client.get(f"{BASE}/api-products", headers=publisher.auth())
    assert listed.json()["count"] == 0


async def test_an_imported_product_is_deployed_and_published_as_it_was_exported(publisher: Publisher) -> None:
    product = await create_product(publisher)
    url = f"{BASE}/api-products/{product['id']}"
    revision = await publisher.client.post(f"{url}/revisions", json={}, headers=publisher.auth())
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    published = await publisher.client.post(
        f"{BASE}/api-products/change-lifecycle",
        params={"apiProductId": product["id"], "action": "Publish"},
        headers=publisher.auth(),
    )
    assert published.status_code == 200, published.text
    archive = await _export_lunch(publisher)
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        environments = yaml.safe_load(zipped.read("Lunch-1.0.0/deployment_environments.yaml"))
    assert environments["data"] == [
        {"deploymentEnvironment": "Default", "deploymentVhost": "localhost", "displayOnDevportal": True}
    ]
    await publisher.client.delete(url, headers=publisher.auth())

    imported = await publisher.client.post(
        f"{BASE}/api-products/import",
        files={"file": ("lunch.zip", archive, "application/zip")},
        headers=publisher.auth(IMPORTER),
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["state"] == "PUBLISHED"
    new_url = f"{BASE}/api-products/{imported.json()['id']}"
    deployments = (await publisher.client.get(f"{new_url}/deployments", headers=publisher.auth())).json()
    assert [(d["name"], d["status"]) for d in deployments["list"]] == [("Default", "APPROVED")]


@pytest.mark.parametrize("version", ["2.0\x0b", "2.0\x03"])
async def test_copying_a_product_to_a_version_with_a_control_character_is_400(
    publisher: Publisher, version: str
) -> None:
    product = await create_product(publisher)
    copied = await publisher.client.post(
        f"{BASE}/api-products/copy-api-products",
        params={"apiProductId": product["id"], "newVersion": version},
        headers=publisher.auth(),
    )
    assert copied.status_code == 400, copied.text
    assert "newVersion" in copied.json()["description"]
