"""An OpenAPI 3.1 document imported as it means: a path item given by ``$ref`` to
``components/pathItems`` yields its operations (served by the gateway), ``webhooks`` stay in the
definition without becoming operations, and the other 3.1 additions are kept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.standalone import PUBLISHER, bearer, eventually, shared_platform

pytestmark = pytest.mark.timeout(120)

ORDER = {"type": "object", "properties": {"id": {"type": ["string", "null"]}}}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "Orders31",
        "version": "1.0.0",
        "summary": "Orders, described in 3.1",
        "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"},
    },
    "paths": {
        "/orders": {"$ref": "#/components/pathItems/Orders"},
        "/orders/{orderId}": {
            "$ref": "#/components/pathItems/OneOrder",
            "summary": "one order, summary beside the $ref",
        },
    },
    "webhooks": {
        "orderShipped": {
            "post": {
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
                },
                "responses": {"200": {"description": "received"}},
            }
        }
    },
    "components": {
        "schemas": {"Order": ORDER},
        "pathItems": {
            "Orders": {
                "get": {"responses": {"200": {"description": "the orders"}}},
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Order", "description": "a sibling"}
                            }
                        }
                    },
                    "responses": {"201": {"description": "made"}},
                },
            },
            "OneOrder": {
                "parameters": [
                    {"name": "orderId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {"responses": {"200": {"description": "one order"}}},
            },
        },
    },
}


def test_a_31_document_imports_the_operations_its_path_item_refs_mean_and_keeps_webhooks(
    request: pytest.FixtureRequest,
) -> None:
    shared = shared_platform(request)
    s, auth = shared.platform, bearer(shared.admin_token)
    properties = {
        "name": "Orders31",
        "context": "/orders31",
        "version": "1.0.0",
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{shared.backend}/echo"},
            "sandbox_endpoints": {"url": f"{shared.backend}/echo"},
        },
    }
    r = s.control.post(
        f"{PUBLISHER}/apis/import-openapi",
        files={"file": ("orders.json", json.dumps(DOCUMENT), "application/json")},
        data={"additionalProperties": json.dumps(properties)},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    api_id = r.json()["id"]
    operations = sorted((o["verb"], o["target"]) for o in r.json()["operations"])
    assert operations == [("GET", "/orders"), ("GET", "/orders/{orderId}"), ("POST", "/orders")]

    definition = s.control.get(f"{PUBLISHER}/apis/{api_id}/swagger", headers=auth).json()
    assert set(definition["webhooks"]) == {"orderShipped"}
    assert definition["info"]["summary"] == "Orders, described in 3.1"
    assert definition["info"]["license"]["identifier"] == "Apache-2.0"
    assert definition["jsonSchemaDialect"] == DOCUMENT["jsonSchemaDialect"]
    assert definition["paths"]["/orders/{orderId}"]["summary"] == "one order, summary beside the $ref"
    assert "get" in definition["paths"]["/orders/{orderId}"]

    revision = s.control.post(f"{PUBLISHER}/apis/{api_id}/revisions", json={}, headers=auth)
    assert revision.status_code == 201, revision.text
    deployed = s.control.post(
        f"{PUBLISHER}/apis/{api_id}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=auth,
    )
    assert deployed.status_code == 201, deployed.text
    # Reached the gateway: the $ref'd operation is routed (401 for want of a token, not 404).
    routed = eventually(lambda: s.gateway.get("/orders31/1.0.0/orders/7"), lambda r: r.status_code == 401)
    assert routed.status_code == 401, routed.text
    assert s.gateway.get("/orders31/1.0.0/orderShipped").status_code == 404


def test_a_path_item_ref_outside_components_is_refused_naming_it(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    document = {**DOCUMENT, "paths": {"/orders": {"$ref": "#/components/schemas/Order"}}}
    r = shared.platform.control.post(
        f"{PUBLISHER}/apis/validate-openapi",
        files={"file": ("orders.json", json.dumps(document), "application/json")},
        headers=bearer(shared.admin_token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["isValid"] is False
    assert "components/schemas/Order" in json.dumps(r.json()["errors"])


def test_a_31_document_with_webhooks_and_no_paths_is_valid(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    document = {k: v for k, v in DOCUMENT.items() if k != "paths"}
    r = shared.platform.control.post(
        f"{PUBLISHER}/apis/validate-openapi",
        files={"file": ("hooks.json", json.dumps(document), "application/json")},
        headers=bearer(shared.admin_token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["isValid"] is True, r.text
