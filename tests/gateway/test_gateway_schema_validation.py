"""enableSchemaValidation: requests and backend answers held to the deployed definition, through the
gateway against the real backend of tests/support/backend.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.gateway.conftest import Harness, base_snapshot, pets_api

PET = {
    "type": "object",
    "required": ["name", "id"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string", "minLength": 1, "example": "Rex"},
        "tag": {"type": "string", "nullable": True},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
    },
}


def openapi_30() -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "Pets", "version": "1.0.0"},
        "paths": {
            "/echo": {
                "post": {
                    "requestBody": {"$ref": "#/components/requestBodies/NewPet"},
                    "responses": {"200": {"description": "echoed"}},
                },
                "get": {
                    "parameters": [
                        {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}},
                        {"$ref": "#/components/parameters/RequestId"},
                    ],
                    "responses": {"200": {"description": "echoed"}},
                },
            },
            "/echo/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": {"responses": {"200": {"description": "echoed"}}},
            },
            "/json": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "data",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"data": {"type": "integer"}},
                                    }
                                }
                            },
                        }
                    }
                }
            },
            "/status/{code}": {
                "get": {
                    "responses": {
                        "default": {
                            "description": "the status",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status"],
                                        "properties": {"status": {"type": "integer"}},
                                    }
                                }
                            },
                        }
                    }
                }
            },
        },
        "components": {
            "schemas": {"Pet": PET},
            "requestBodies": {
                "NewPet": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                }
            },
            "parameters": {
                "RequestId": {
                    "name": "X-Request-Id",
                    "in": "header",
                    "required": True,
                    # Catastrophic on a backtracking engine for a long near-miss.
                    "schema": {"type": "string", "pattern": "^([a-f0-9]+-?)+$"},
                }
            },
        },
    }


def swagger_20() -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "consumes": ["application/json"],
        "paths": {
            "/echo": {
                "post": {
                    "parameters": [
                        {
                            "name": "pet",
                            "in": "body",
                            "required": True,
                            "schema": {"$ref": "#/definitions/Pet"},
                        }
                    ],
                    "responses": {"200": {"description": "echoed"}},
                }
            },
            "/echo/{id}": {
                "get": {
                    "parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                    "responses": {"200": {"description": "echoed"}},
                }
            },
        },
        "definitions": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"type": "string", "x-nullable": True}},
            }
        },
    }


def openapi_31() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "paths": {
            "/echo": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Point"}}},
                    },
                    "responses": {"200": {"description": "echoed"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Point": {
                    "type": "object",
                    "required": ["at", "label"],
                    "properties": {
                        "at": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]},
                        "label": {"type": ["string", "null"]},
                    },
                }
            }
        },
    }


def remote_reference() -> dict[str, Any]:
    definition = openapi_30()
    definition["components"]["schemas"]["Pet"] = {"$ref": "http://127.0.0.1:9/pet.json"}
    return definition


def _api(
    backend_port: int, api_id: str, context: str, definition: dict[str, Any], *, on: bool
) -> dict[str, Any]:
    operations = [
        {"verb": "POST", "target": "/echo", "authType": "None"},
        {"verb": "GET", "target": "/echo", "authType": "None"},
        {"verb": "GET", "target": "/echo/{id}", "authType": "None"},
        {"verb": "GET", "target": "/json", "authType": "None"},
        {"verb": "GET", "target": "/status/{code}", "authType": "None"},
    ]
    return pets_api(
        backend_port,
        id=api_id,
        name=api_id,
        context=context,
        revisionId=f"rev-{api_id}",
        isDefaultVersion=False,
        operations=operations,
        enableSchemaValidation=on,
        definition=definition,
    )


@pytest.fixture
def snapshot(backend_port: int) -> dict[str, dict[str, Any]]:
    snap = copy.deepcopy(base_snapshot(backend_port))
    snap["publisher"]["artifacts"] = [
        _api(backend_port, "api-oas30", "/pets", openapi_30(), on=True),
        _api(backend_port, "api-swagger", "/swagger", swagger_20(), on=True),
        _api(backend_port, "api-oas31", "/oas31", openapi_31(), on=True),
        _api(backend_port, "api-off", "/off", openapi_30(), on=False),
        _api(backend_port, "api-remote", "/remote", remote_reference(), on=True),
    ]
    return snap


async def test_invalid_request_body_is_refused_with_400(harness: Harness) -> None:
    response = await harness.client.post("/pets/1.0.0/echo", json={"name": 7})
    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["message"]) == ("400", "Bad Request")
    assert error["description"].startswith("Schema validation failed in the Request: ")
    assert '$.name: value is not of type "string"' in error["description"]


async def test_valid_request_reaches_the_backend(harness: Harness) -> None:
    # ``id`` is readOnly: required in answers, not in requests; ``tag`` is nullable.
    body = {"name": "Rex", "tag": None, "children": [{"name": "Pup", "id": 2}]}
    response = await harness.client.post("/pets/1.0.0/echo", json=body)
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/echo"
    assert echoed["body"] == response.request.content.decode()


async def test_nested_invalid_body_names_its_json_path(harness: Harness) -> None:
    response = await harness.client.post("/pets/1.0.0/echo", json={"name": "Rex", "children": [{"name": ""}]})
    assert response.status_code == 400
    assert "$.children[0].name: " in response.json()["description"]


async def test_required_body_that_is_missing_is_refused(harness: Harness) -> None:
    response = await harness.client.post("/pets/1.0.0/echo")
    assert response.status_code == 400
    assert "a request body is required" in response.json()["description"]


async def test_body_of_an_undeclared_media_type_is_refused(harness: Harness) -> None:
    response = await harness.client.post(
        "/pets/1.0.0/echo", content=b"name=Rex", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    description = response.json()["description"]
    assert "'text/plain' is not one this operation accepts (application/json)" in description


async def test_body_that_is_not_json_is_refused(harness: Harness) -> None:
    response = await harness.client.post(
        "/pets/1.0.0/echo", content=b"{name", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "the body is not valid JSON" in response.json()["description"]


async def test_missing_required_query_parameter_is_refused(harness: Harness) -> None:
    response = await harness.client.get("/pets/1.0.0/echo", headers={"x-request-id": "ab-12"})
    assert response.status_code == 400
    assert response.json()["description"].endswith("query parameter 'limit' is required")
    response = await harness.client.get("/pets/1.0.0/echo?limit=ten", headers={"x-request-id": "ab-12"})
    assert response.status_code == 400
    assert "query parameter 'limit': value is not of type \"integer\"" in response.json()["description"]
    response = await harness.client.get("/pets/1.0.0/echo?limit=10", headers={"x-request-id": "ab-12"})
    assert response.status_code == 200
    assert response.json()["query"] == "limit=10"


async def test_wrong_path_parameter_type_is_refused(harness: Harness) -> None:
    response = await harness.client.get("/pets/1.0.0/echo/abc")
    assert response.status_code == 400
    assert "path parameter 'id': value is not of type \"integer\"" in response.json()["description"]
    assert (await harness.client.get("/pets/1.0.0/echo/42")).status_code == 200


async def test_missing_required_header_is_refused(harness: Harness) -> None:
    response = await harness.client.get("/pets/1.0.0/echo?limit=1")
    assert response.status_code == 400
    assert response.json()["description"].endswith("header parameter 'x-request-id' is required")
    response = await harness.client.get("/pets/1.0.0/echo?limit=1", headers={"x-request-id": "NOT HEX"})
    assert response.status_code == 400
    assert "header parameter 'x-request-id': value does not match" in response.json()["description"]


async def test_invalid_response_body_is_answered_with_500(harness: Harness) -> None:
    # The backend's /json answers {"data": "xxx..."}: a string where the definition says integer.
    response = await harness.client.get("/pets/1.0.0/json")
    assert response.status_code == 500
    error = response.json()
    assert (error["code"], error["message"]) == ("500", "Bad Response")
    assert error["description"] == (
        'Schema validation failed in the Response: $.data: value is not of type "integer"'
    )


async def test_valid_response_is_answered_by_the_default_response_schema(harness: Harness) -> None:
    response = await harness.client.get("/pets/1.0.0/status/201")
    assert response.status_code == 201
    assert response.json() == {"status": 201}
    assert response.headers["content-length"] == str(len(response.content))


async def test_swagger_2_definition_is_validated(harness: Harness) -> None:
    refused = await harness.client.post("/swagger/1.0.0/echo", json={"tag": "x"})
    assert refused.status_code == 400
    assert '$: "name" is a required property' in refused.json()["description"]
    wrong_id = await harness.client.get("/swagger/1.0.0/echo/x1")
    assert wrong_id.status_code == 400
    accepted = await harness.client.post("/swagger/1.0.0/echo", json={"name": "Rex", "tag": None})
    assert accepted.status_code == 200
    assert accepted.json()["body"] == '{"name":"Rex","tag":null}'


async def test_openapi_3_1_definition_is_validated(harness: Harness) -> None:
    refused = await harness.client.post("/oas31/1.0.0/echo", json={"at": ["north", 2], "label": None})
    assert refused.status_code == 400
    assert '$.at[0]: value is not of type "number"' in refused.json()["description"]
    accepted = await harness.client.post("/oas31/1.0.0/echo", json={"at": [1.5, 2], "label": None})
    assert accepted.status_code == 200


async def test_validation_off_lets_an_invalid_body_through(harness: Harness) -> None:
    response = await harness.client.post("/off/1.0.0/echo", json={"name": 7})
    assert response.status_code == 200
    assert response.json()["body"] == '{"name":7}'
    assert (await harness.client.get("/off/1.0.0/json")).status_code == 200


async def test_pattern_of_a_definition_runs_in_linear_time(harness: Harness) -> None:
    # ``^([a-f0-9]+-?)+$`` against a long near-miss: exponential on a backtracking engine.
    evil = "a" * 20_000 + "!"
    response = await harness.client.get("/pets/1.0.0/echo?limit=1", headers={"x-request-id": evil})
    assert response.status_code == 400
    assert "header parameter 'x-request-id': value does not match" in response.json()["description"]
    assert evil not in response.text


async def test_definition_with_a_remote_reference_is_not_served(harness: Harness) -> None:
    # The reference is never fetched: the revision cannot be validated, so it is not deployed.
    assert harness.gateway.state.apis.get("api-remote") is None
    response = await harness.client.post("/remote/1.0.0/echo", json={"name": "Rex"})
    assert response.status_code == 404
