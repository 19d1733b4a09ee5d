"""MOCKED_OAS and INLINE implementations: the gateway answers from the deployed definition, after
authentication, subscription and throttling, and never calls the API's endpoint."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.gateway.conftest import Harness, base_snapshot, pets_api
from tests.support.local_http import Canned, LocalServer, local_server

MENU = [{"name": "Margherita"}]
MARINARA = [{"name": "Marinara"}]

OPENAPI_3 = {
    "openapi": "3.0.1",
    "info": {"title": "Pizza", "version": "1.0.0"},
    "paths": {
        "/menu": {
            "get": {
                "responses": {
                    "404": {
                        "description": "none",
                        "content": {"application/json": {"example": {"missing": 1}}},
                    },
                    "200": {
                        "description": "the menu",
                        "headers": {"X-Rate": {"schema": {"type": "integer"}, "example": 5}},
                        "content": {
                            "application/json": {
                                "examples": {
                                    "margherita": {"value": MENU},
                                    "marinara": {"value": MARINARA},
                                }
                            },
                            "application/xml": {"example": "<menu><pizza>Margherita</pizza></menu>"},
                        },
                    },
                    "503": {"description": "closed", "$ref": "#/components/responses/Closed"},
                }
            }
        },
        "/orders/{orderId}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "an order",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string", "example": "o-1"},
                                        "total": {"type": "number", "example": 12.5},
                                    },
                                }
                            }
                        },
                    }
                }
            }
        },
    },
    "components": {
        "responses": {
            "Closed": {
                "description": "closed",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Closed"}}},
            }
        },
        "schemas": {"Closed": {"type": "object", "example": {"open": False}}},
    },
}

SWAGGER_2 = {
    "swagger": "2.0",
    "info": {"title": "Pizza", "version": "1.0.0"},
    "produces": ["application/json"],
    "paths": {
        "/menu": {
            "get": {
                "produces": ["application/json", "text/plain"],
                "responses": {
                    "200": {
                        "description": "the menu",
                        "headers": {"X-Kitchen": {"type": "string", "x-example": "open"}},
                        "examples": {"application/json": MENU, "text/plain": "Margherita"},
                    }
                },
            }
        }
    },
}

INLINE_DEFINITION = {
    "openapi": "3.0.1",
    "info": {"title": "Pizza", "version": "1.0.0"},
    "paths": {
        "/menu": {
            "get": {
                "x-static-response": {"status": 202, "headers": {"X-Queue": "3"}, "body": {"queued": True}},
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"example": MENU}}}
                },
            }
        },
        "/orders/{orderId}": {
            "get": {
                "responses": {"200": {"description": "ok", "content": {"application/json": {"example": [1]}}}}
            }
        },
    },
}


def _mocked(
    api_id: str, context: str, implementation: str, definition: dict[str, Any], port: int
) -> dict[str, Any]:
    return pets_api(
        port,
        id=api_id,
        name=api_id,
        context=context,
        isDefaultVersion=False,
        revisionId=f"rev-{api_id}",
        endpointImplementationType=implementation,
        definition=definition,
        endpointConfig={
            "endpoint_type": "http",
            "production_endpoints": {"url": f"http://127.0.0.1:{port}"},
            "sandbox_endpoints": {"url": f"http://127.0.0.1:{port}"},
        },
        operations=[
            {"verb": "GET", "target": "/menu", "authType": "Any"},
            {"verb": "GET", "target": "/orders/{orderId}", "authType": "Any"},
        ],
    )


def _product_of_mocked_member(port: int) -> dict[str, Any]:
    """An API product whose operation belongs to the MOCKED_OAS API ``api-mock``."""
    endpoint = {
        "endpoint_type": "http",
        "production_endpoints": {"url": f"http://127.0.0.1:{port}"},
        "sandbox_endpoints": {"url": f"http://127.0.0.1:{port}"},
    }
    return pets_api(
        port,
        id="prod-mock",
        name="prod-mock",
        context="/bundle",
        type="APIProduct",
        isDefaultVersion=False,
        revisionId="rev-prod-mock",
        endpointConfig=None,
        operations=[
            {
                "verb": "GET",
                "target": "/menu",
                "authType": "Any",
                "apiId": "api-mock",
                "endpointConfig": endpoint,
            }
        ],
        memberImplementations={
            "api-mock": {"endpointImplementationType": "MOCKED_OAS", "definition": OPENAPI_3}
        },
    )


@pytest.fixture
async def backend() -> AsyncIterator[LocalServer]:
    answer = Canned(200, b'{"from": "backend"}', {"Content-Type": "application/json"})
    async with local_server({"/menu": answer, "/orders/7": answer}) as server:
        yield server


@pytest.fixture
def snapshot(backend: LocalServer) -> dict[str, dict[str, Any]]:
    data = copy.deepcopy(base_snapshot(backend.port))
    apis = [
        _mocked("api-mock", "/mock", "MOCKED_OAS", OPENAPI_3, backend.port),
        _mocked("api-swagger", "/swagger", "MOCKED_OAS", SWAGGER_2, backend.port),
        _mocked("api-inline", "/inline", "INLINE", INLINE_DEFINITION, backend.port),
        _mocked("api-endpoint", "/endpoint", "ENDPOINT", OPENAPI_3, backend.port),
        _product_of_mocked_member(backend.port),
    ]
    data["publisher"]["artifacts"] += apis
    data["devportal"]["subscriptions"] += [
        {
            "subscriptionId": f"sub-{api['id']}",
            "applicationId": "app-1",
            "apiId": api["id"],
            "throttlingPolicy": "Gold",
            "status": "UNBLOCKED",
        }
        for api in apis
    ]
    return data


async def test_mocked_oas_answers_with_the_first_2xx_example(harness: Harness) -> None:
    r = await harness.client.get("/mock/1.0.0/menu", headers=harness.bearer())
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == MENU  # the first named example of the first media type
    assert r.headers["x-rate"] == "5"
    built = await harness.client.get("/mock/1.0.0/orders/7", headers=harness.bearer())
    assert built.json() == {"id": "o-1", "total": 12.5}  # from the schema's properties' examples


async def test_mocked_oas_still_authenticates(harness: Harness) -> None:
    r = await harness.client.get("/mock/1.0.0/menu")
    assert r.status_code == 401
    assert r.json()["code"] == "900902"


async def test_prefer_code_header_picks_the_status(harness: Harness) -> None:
    missing = await harness.client.get("/mock/1.0.0/menu", headers={**harness.bearer(), "Prefer": "code=404"})
    assert missing.status_code == 404
    assert missing.json() == {"missing": 1}
    closed = await harness.client.get("/mock/1.0.0/menu", headers={**harness.bearer(), "Prefer": "code=503"})
    assert closed.status_code == 503
    assert closed.json() == {"open": False}  # through $ref to the response and to its schema
    named = await harness.client.get(
        "/mock/1.0.0/menu", headers={**harness.bearer(), "Prefer": "code=200, example=marinara"}
    )
    assert named.json() == MARINARA


async def test_prefer_for_an_undefined_status_or_example_is_refused(harness: Harness) -> None:
    status = await harness.client.get("/mock/1.0.0/menu", headers={**harness.bearer(), "Prefer": "code=418"})
    assert status.status_code == 400
    assert "defines no 418 response" in status.json()["description"]
    example = await harness.client.get(
        "/mock/1.0.0/menu", headers={**harness.bearer(), "Prefer": "example=calzone"}
    )
    assert example.status_code == 400
    assert "calzone" in example.json()["description"]


async def test_accept_header_picks_the_media_type(harness: Harness) -> None:
    xml = await harness.client.get(
        "/mock/1.0.0/menu", headers={**harness.bearer(), "Accept": "application/json;q=0.5, application/xml"}
    )
    assert xml.status_code == 200
    assert xml.headers["content-type"] == "application/xml"
    assert xml.text == "<menu><pizza>Margherita</pizza></menu>"
    wildcard = await harness.client.get(
        "/mock/1.0.0/menu", headers={**harness.bearer(), "Accept": "application/*"}
    )
    assert wildcard.headers["content-type"] == "application/json"


async def test_no_acceptable_media_type_answers_406(harness: Harness) -> None:
    r = await harness.client.get("/mock/1.0.0/menu", headers={**harness.bearer(), "Accept": "text/csv"})
    assert r.status_code == 406
    assert r.json()["code"] == "406"
    assert "application/json, application/xml" in r.json()["description"]


async def test_mocked_oas_never_calls_the_backend(harness: Harness, backend: LocalServer) -> None:
    for path in ("/mock/1.0.0/menu", "/mock/1.0.0/orders/7", "/inline/1.0.0/menu"):
        r = await harness.client.get(path, headers=harness.bearer())
        assert r.status_code in (200, 202)
        assert r.json() != {"from": "backend"}
    assert backend.seen == []
    # The same definition deployed with an ENDPOINT implementation goes to the backend.
    endpoint = await harness.client.get("/endpoint/1.0.0/menu", headers=harness.bearer())
    assert endpoint.json() == {"from": "backend"}
    assert backend.seen == ["/menu"]


async def test_swagger_2_examples_are_served(harness: Harness) -> None:
    r = await harness.client.get("/swagger/1.0.0/menu", headers=harness.bearer())
    assert r.status_code == 200
    assert r.json() == MENU
    assert r.headers["x-kitchen"] == "open"
    text = await harness.client.get(
        "/swagger/1.0.0/menu", headers={**harness.bearer(), "Accept": "text/plain"}
    )
    assert text.headers["content-type"] == "text/plain"
    assert text.text == "Margherita"


async def test_inline_serves_the_static_response_of_the_operation(harness: Harness) -> None:
    r = await harness.client.get("/inline/1.0.0/menu", headers=harness.bearer())
    assert r.status_code == 202
    assert r.headers["x-queue"] == "3"
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.content) == {"queued": True}
    # An operation without a static response answers from its examples, as WSO2's generated scripts do.
    examples = await harness.client.get("/inline/1.0.0/orders/7", headers=harness.bearer())
    assert examples.status_code == 200
    assert examples.json() == [1]


async def test_api_product_answers_a_mocked_members_operation_from_its_definition(
    harness: Harness, backend: LocalServer
) -> None:
    r = await harness.client.get("/bundle/1.0.0/menu", headers=harness.bearer())
    assert r.status_code == 200
    assert r.json() == MENU
    assert backend.seen == []
