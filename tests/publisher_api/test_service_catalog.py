"""The service catalog (/api/am/service-catalog/v1) and the APIs made from its services: a service
with a checked definition and its md5, an API imported from it that knows when the service has
changed, a reimport that brings it in step, tenants apart, scopes checked, and a service in use kept."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.publisher_api.conftest import BASE, PUBLISHER_SCOPES, Publisher, running_publisher
from tests.support.tokens import TokenFactory

CATALOG = "/api/am/service-catalog/v1"
WRITE = ["service_catalog:service_write", "service_catalog:service_view"]
pytestmark = pytest.mark.asyncio(loop_scope="module")
_numbers = itertools.count(1)


def _openapi(*paths: str) -> str:
    return json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "Orders", "version": "1.0.0"},
            "paths": {p: {"get": {"responses": {"200": {"description": "ok"}}}} for p in paths},
        }
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def publisher(
    tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Publisher]:
    database = tmp_path_factory.mktemp("service-catalog") / "service.db"
    async with running_publisher(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


def _headers(publisher: Publisher, tenant: str = "carbon.super") -> dict[str, str]:
    return publisher.auth([*PUBLISHER_SCOPES, *WRITE], tenant=tenant)


async def _create(
    publisher: Publisher, definition: str, *, tenant: str = "carbon.super", **metadata: Any
) -> httpx.Response:
    number = next(_numbers)
    fields = {
        "name": f"Orders{number}",
        "version": "1.0.0",
        "definitionType": "OAS3",
        "serviceUrl": "http://orders.internal:8080/v1",
        **metadata,
    }
    return await publisher.client.post(
        f"{CATALOG}/services",
        data={"serviceMetadata": json.dumps(fields)},
        files={"definitionFile": ("orders.json", definition.encode(), "application/json")},
        headers=_headers(publisher, tenant),
    )


async def _service(publisher: Publisher, definition: str, **metadata: Any) -> dict[str, Any]:
    created = await _create(publisher, definition, **metadata)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _import(publisher: Publisher, key: str, **fields: Any) -> httpx.Response:
    number = next(_numbers)
    body = {"name": f"OrdersAPI{number}", "context": f"/orders{number}", "version": "1.0.0", **fields}
    return await publisher.client.post(
        f"{BASE}/apis/import-service", params={"serviceKey": key}, json=body, headers=_headers(publisher)
    )


async def _update(publisher: Publisher, service: dict[str, Any], definition: str) -> httpx.Response:
    metadata = {k: service[k] for k in ("name", "version", "definitionType", "serviceUrl", "serviceKey")}
    return await publisher.client.put(
        f"{CATALOG}/services/{service['id']}",
        data={"serviceMetadata": json.dumps(metadata), "inlineContent": definition},
        headers=_headers(publisher),
    )


async def test_a_service_keeps_its_definition_and_the_md5_of_it(publisher: Publisher) -> None:
    definition = _openapi("/orders")
    service = await _service(publisher, definition)
    assert service["md5"] == hashlib.md5(definition.encode()).hexdigest()
    assert service["serviceKey"] == f"{service['name']}-1.0.0"
    assert service["usage"] == 0
    served = await publisher.client.get(
        f"{CATALOG}/services/{service['id']}/definition", headers=_headers(publisher)
    )
    assert served.content == definition.encode()
    listed = await publisher.client.get(
        f"{CATALOG}/services", params={"key": service["serviceKey"]}, headers=_headers(publisher)
    )
    assert [s["id"] for s in listed.json()["list"]] == [service["id"]]


async def test_an_api_imported_from_a_service_is_outdated_until_reimported(publisher: Publisher) -> None:
    service = await _service(publisher, _openapi("/orders"))
    imported = await _import(publisher, service["serviceKey"])
    assert imported.status_code == 201, imported.text
    api = imported.json()
    assert api["serviceInfo"] == {
        "key": service["serviceKey"],
        "name": service["name"],
        "version": "1.0.0",
        "outdated": False,
    }
    assert api["endpointConfig"]["production_endpoints"]["url"] == "http://orders.internal:8080/v1"
    assert {(o["verb"], o["target"]) for o in api["operations"]} == {("GET", "/orders")}

    edited = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "description": "edited here"}, headers=_headers(publisher)
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["serviceInfo"]["key"] == service["serviceKey"], "an update keeps the link"

    changed = await _update(publisher, service, _openapi("/orders", "/orders/pending"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["md5"] != service["md5"]
    seen = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=_headers(publisher))
    assert seen.json()["serviceInfo"]["outdated"] is True

    reimported = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/reimport-service", headers=_headers(publisher)
    )
    assert reimported.status_code == 200, reimported.text
    after = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=_headers(publisher))).json()
    assert after["serviceInfo"]["outdated"] is False
    assert {(o["verb"], o["target"]) for o in after["operations"]} == {
        ("GET", "/orders"),
        ("GET", "/orders/pending"),
    }
    assert after["endpointConfig"] == api["endpointConfig"], "the API's own settings stay"


async def test_a_service_in_use_is_not_deleted(publisher: Publisher) -> None:
    service = await _service(publisher, _openapi("/orders"))
    api = (await _import(publisher, service["serviceKey"])).json()
    usage = await publisher.client.get(
        f"{CATALOG}/services/{service['id']}/usage", headers=_headers(publisher)
    )
    assert [a["id"] for a in usage.json()["list"]] == [api["id"]]
    refused = await publisher.client.delete(
        f"{CATALOG}/services/{service['id']}", headers=_headers(publisher)
    )
    assert refused.status_code == 409, refused.text
    assert api["name"] in refused.json()["description"]

    assert (
        await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=_headers(publisher))
    ).status_code == 200
    deleted = await publisher.client.delete(
        f"{CATALOG}/services/{service['id']}", headers=_headers(publisher)
    )
    assert deleted.status_code == 204, deleted.text


async def test_tenants_do_not_see_each_others_services(publisher: Publisher) -> None:
    service = await _service(publisher, _openapi("/orders"))
    other = _headers(publisher, tenant="acme.com")
    assert (
        await publisher.client.get(f"{CATALOG}/services/{service['id']}", headers=other)
    ).status_code == 404
    listed = await publisher.client.get(f"{CATALOG}/services", headers=other)
    assert service["id"] not in [s["id"] for s in listed.json()["list"]]
    imported = await publisher.client.post(
        f"{BASE}/apis/import-service",
        params={"serviceKey": service["serviceKey"]},
        json={"name": "Stolen", "context": "/stolen", "version": "1.0.0"},
        headers=other,
    )
    assert imported.status_code == 404, imported.text


async def test_the_catalog_checks_its_scopes(publisher: Publisher) -> None:
    service = await _service(publisher, _openapi("/orders"))
    viewer = publisher.auth(["service_catalog:service_view"])
    assert (
        await publisher.client.get(f"{CATALOG}/services/{service['id']}", headers=viewer)
    ).status_code == 200
    refused = await publisher.client.delete(f"{CATALOG}/services/{service['id']}", headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["code"] == 900910
    publisher_only = publisher.auth(PUBLISHER_SCOPES)
    assert (await publisher.client.get(f"{CATALOG}/services", headers=publisher_only)).status_code == 403


async def test_a_definition_that_is_not_what_its_type_says_is_refused(publisher: Publisher) -> None:
    broken = await _create(publisher, '{"openapi": "3.0.1", "info": {}}')
    assert broken.status_code == 400, broken.text
    assert broken.json()["message"] == "Invalid service definition"
    swagger2 = json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    mislabelled = await _create(publisher, swagger2, definitionType="OAS3")
    assert mislabelled.status_code == 400, mislabelled.text
    assert "OAS3" in mislabelled.json()["description"]
    unknown = await _create(publisher, _openapi("/orders"), definitionUrl="http://elsewhere/def.json")
    assert unknown.status_code == 400, unknown.text
    assert "definitionUrl" in unknown.json()["description"]


async def test_a_backend_security_the_platform_would_not_apply_is_refused_naming_it(
    publisher: Publisher,
) -> None:
    secured = await _create(publisher, _openapi("/orders"), securityType="BASIC")
    assert secured.status_code == 400, secured.text
    assert "securityType" in secured.json()["description"]
    mutual = await _create(publisher, _openapi("/orders"), mutualSSLEnabled=True)
    assert mutual.status_code == 400, mutual.text
    assert "mutualSSLEnabled" in mutual.json()["description"]
    plain = await _create(publisher, _openapi("/orders"), securityType="NONE", mutualSSLEnabled=False)
    assert plain.status_code == 201, plain.text


async def test_an_exported_service_imports_back_and_an_overwrite_outdates_its_apis(
    publisher: Publisher,
) -> None:
    service = await _service(publisher, _openapi("/orders"))
    exported = await publisher.client.get(
        f"{CATALOG}/services/export",
        params={"name": service["name"], "version": "1.0.0"},
        headers=_headers(publisher),
    )
    assert exported.status_code == 200, exported.text
    deleted = await publisher.client.delete(
        f"{CATALOG}/services/{service['id']}", headers=_headers(publisher)
    )
    assert deleted.status_code == 204

    async def upload(content: bytes, **params: str) -> httpx.Response:
        return await publisher.client.post(
            f"{CATALOG}/services/import",
            params=params,
            files={"file": ("services.zip", content, "application/zip")},
            headers=_headers(publisher),
        )

    imported = await upload(exported.content)
    assert imported.status_code == 200, imported.text
    [back] = imported.json()["list"]
    assert (back["serviceKey"], back["md5"]) == (service["serviceKey"], service["md5"])
    api = (await _import(publisher, service["serviceKey"])).json()

    assert (await upload(exported.content)).status_code == 409
    source = zipfile.ZipFile(io.BytesIO(exported.content))
    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as target:
        for name in source.namelist():
            is_definition = name.endswith("/definition.json")
            target.writestr(name, _openapi("/orders", "/refunds") if is_definition else source.read(name))
    overwritten = await upload(changed.getvalue(), overwrite="true")
    assert overwritten.status_code == 200, overwritten.text
    seen = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=_headers(publisher))
    assert seen.json()["serviceInfo"]["outdated"] is True


async def test_a_graphql_service_makes_a_graphql_api_and_a_wsdl_service_is_pointed_at_import_wsdl(
    publisher: Publisher,
) -> None:
    schema = "type Query { orders: [String] }\ntype Mutation { cancel(id: ID!): Boolean }\n"
    created = await publisher.client.post(
        f"{CATALOG}/services",
        data={
            "serviceMetadata": json.dumps(
                {"name": f"OrdersGraph{next(_numbers)}", "version": "1.0.0", "definitionType": "GRAPHQL_SDL"}
            ),
            "inlineContent": schema,
        },
        headers=_headers(publisher),
    )
    assert created.status_code == 201, created.text
    service = created.json()
    imported = await _import(publisher, service["serviceKey"])
    assert imported.status_code == 201, imported.text
    assert imported.json()["type"] == "GRAPHQL"
    assert {(o["verb"], o["target"]) for o in imported.json()["operations"]} == {
        ("QUERY", "orders"),
        ("MUTATION", "cancel"),
    }

    wsdl = (
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="Orders">'
        '<service name="Orders"/></definitions>'
    )
    soap = await _service(publisher, wsdl, definitionType="WSDL1")
    refused = await _import(publisher, soap["serviceKey"])
    assert refused.status_code == 400, refused.text
    assert "/apis/import-wsdl" in refused.json()["description"]
