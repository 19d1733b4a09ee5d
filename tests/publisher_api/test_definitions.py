"""OpenAPI import, validation, the definition kept in step with operations, and export."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
import yaml

from tests.publisher_api.conftest import BASE, Publisher

# Uses what only 3.1 has: JSON Schema 2020-12 type arrays instead of nullable, webhooks,
# $ref with sibling keywords, info.summary, license.identifier and const.
OPENAPI_31 = """
openapi: 3.1.0
info:
  title: Orders API
  summary: Orders of the shop
  version: 2.1.0
  license:
    name: Apache 2.0
    identifier: Apache-2.0
servers:
  - url: https://orders.example.com/orders/v2
security:
  - oauth: [orders:read]
paths:
  /orders:
    get:
      responses:
        "200":
          description: all orders
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Order'
                  description: an order, described beside its $ref
    post:
      security:
        - oauth: [orders:write]
      x-throttling-tier: 10KPerMin
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Order'
      responses:
        "201":
          description: created
  /orders/{orderId}:
    parameters:
      - name: orderId
        in: path
        required: true
        schema:
          type: string
    delete:
      security: []
      responses:
        "204":
          description: deleted
webhooks:
  orderShipped:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Order'
      responses:
        "200":
          description: received
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id:
          type: string
        note:
          type: [string, "null"]
        kind:
          const: order
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://localhost:9443/oauth2/token
          scopes:
            orders:read: read orders
            orders:write: write orders
    key:
      type: apiKey
      in: header
      name: X-Order-Key
"""

OPENAPI_30 = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1.0.0"},
    "servers": [{"url": "https://pets.example.com/pets"}],
    "paths": {
        "/pets": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"type": "string", "nullable": True}}},
                    }
                }
            }
        },
        "/pets/{petId}": {
            "get": {
                "parameters": [
                    {"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "one pet"}},
            }
        },
    },
}

SWAGGER_20 = {
    "swagger": "2.0",
    "info": {"title": "Weather", "version": "v1"},
    "host": "weather.example.com",
    "basePath": "/weather",
    "schemes": ["https"],
    "securityDefinitions": {
        "auth": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://localhost/token",
            "scopes": {"weather:read": "read the weather"},
        }
    },
    "paths": {
        "/forecast": {
            "get": {
                "security": [{"auth": ["weather:read"]}],
                "responses": {"200": {"description": "forecast"}},
            }
        }
    },
}


async def _import(publisher: Publisher, **parts: Any) -> httpx.Response:
    files = {k: v for k, v in parts.items() if k == "file"}
    data = {k: v for k, v in parts.items() if k != "file"}
    return await publisher.client.post(
        f"{BASE}/apis/import-openapi", files=files or None, data=data, headers=publisher.auth()
    )


async def test_importing_an_openapi_31_file_creates_the_api_with_its_operations_and_scopes(
    publisher: Publisher,
) -> None:
    response = await _import(
        publisher,
        file=("orders.yaml", OPENAPI_31.encode(), "application/yaml"),
        additionalProperties=json.dumps({"policies": ["Unlimited"]}),
    )
    assert response.status_code == 201, response.text
    api = response.json()
    assert (api["name"], api["version"], api["context"]) == ("Orders API", "2.1.0", "/orders/v2")
    operations = {(o["verb"], o["target"]): o for o in api["operations"]}
    assert set(operations) == {("GET", "/orders"), ("POST", "/orders"), ("DELETE", "/orders/{orderId}")}
    assert operations[("GET", "/orders")]["scopes"] == ["orders:read"]
    assert operations[("POST", "/orders")]["scopes"] == ["orders:write"]
    assert operations[("POST", "/orders")]["throttlingPolicy"] == "10KPerMin"
    assert operations[("DELETE", "/orders/{orderId}")]["authType"] == "None"
    assert {s["scope"]["name"] for s in api["scopes"]} == {"orders:read", "orders:write"}
    assert "api_key" in api["securityScheme"]
    assert api["apiKeyHeader"] == "X-Order-Key"
    assert api["endpointConfig"]["production_endpoints"]["url"] == "https://orders.example.com/orders/v2"
    swagger = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    ).json()
    assert swagger["openapi"] == "3.1.0"
    assert swagger["components"]["schemas"]["Order"]["properties"]["note"]["type"] == ["string", "null"]
    assert "orderShipped" in swagger["webhooks"]


async def test_importing_an_openapi_30_document_from_a_url(publisher: Publisher) -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://specs.example.com/pets.json"
        return httpx.Response(200, json=OPENAPI_30)

    publisher.app.state.outbound = httpx.AsyncClient(transport=httpx.MockTransport(serve))
    response = await _import(publisher, url="https://specs.example.com/pets.json")
    assert response.status_code == 201, response.text
    api = response.json()
    assert (api["name"], api["context"]) == ("Pets", "/pets")
    assert {(o["verb"], o["target"]) for o in api["operations"]} == {
        ("GET", "/pets"),
        ("GET", "/pets/{petId}"),
    }


async def test_importing_a_swagger_20_document_inline(publisher: Publisher) -> None:
    response = await _import(
        publisher,
        inlineAPIDefinition=json.dumps(SWAGGER_20),
        additionalProperties=json.dumps({"name": "Weather API", "context": "/wx"}),
    )
    assert response.status_code == 201, response.text
    api = response.json()
    assert (api["name"], api["context"], api["version"]) == ("Weather API", "/wx", "v1")
    assert api["operations"][0]["scopes"] == ["weather:read"]
    assert api["endpointConfig"]["production_endpoints"]["url"] == "https://weather.example.com/weather"


async def test_an_invalid_definition_is_400_naming_the_problem(publisher: Publisher) -> None:
    broken = yaml.safe_load(OPENAPI_31)
    del broken["paths"]["/orders"]["get"]["responses"]["200"]["description"]
    response = await _import(publisher, inlineAPIDefinition=json.dumps(broken))
    assert response.status_code == 400
    body = response.json()
    assert "description" in body["description"]
    assert "paths/~1orders/get" in body["description"] or "/orders" in body["description"]
    unresolved = {
        **OPENAPI_30,
        "paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/No"}}}}},
    }
    response = await _import(publisher, inlineAPIDefinition=json.dumps(unresolved))
    assert response.status_code == 400
    assert "components/responses/No" in response.json()["description"]
    response = await _import(publisher, inlineAPIDefinition='{"openapi": "4.0.0"}')
    assert response.status_code == 400
    assert "4.0.0" in response.json()["description"]


async def test_validate_openapi_reports_validity_and_info(publisher: Publisher) -> None:
    good = await publisher.client.post(
        f"{BASE}/apis/validate-openapi",
        files={"file": ("orders.yaml", OPENAPI_31.encode(), "application/yaml")},
        params={"returnContent": "true"},
        headers=publisher.auth(),
    )
    assert good.status_code == 200
    body = good.json()
    assert body["isValid"] is True
    assert body["info"]["openAPIVersion"] == "3.1.0"
    assert body["info"]["name"] == "Orders API"
    assert json.loads(body["content"])["openapi"] == "3.1.0"
    bad = await publisher.client.post(
        f"{BASE}/apis/validate-openapi",
        data={"inlineAPIDefinition": json.dumps({"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}})},
        headers=publisher.auth(),
    )
    assert bad.json()["isValid"] is False
    assert any("version" in e["description"] for e in bad.json()["errors"])


async def test_putting_a_definition_updates_the_operations(publisher: Publisher) -> None:
    api = await publisher.create_api()
    get = await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    definition = get.json()
    definition["paths"]["/orders"] = {"post": {"responses": {"201": {"description": "made"}}}}
    put = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/swagger",
        data={"apiDefinition": json.dumps(definition)},
        headers={**publisher.auth(), "If-Match": get.headers["ETag"]},
    )
    assert put.status_code == 200, put.text
    fetched = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert {(o["verb"], o["target"]) for o in fetched["operations"]} == {
        ("GET", "/menu"),
        ("POST", "/orders"),
    }
    stale = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/swagger",
        data={"apiDefinition": json.dumps(definition)},
        headers={**publisher.auth(), "If-Match": get.headers["ETag"]},
    )
    assert stale.status_code == 412


async def test_changing_operations_through_the_api_rewrites_the_definition(publisher: Publisher) -> None:
    api = await publisher.create_api()
    api["scopes"] = [
        {"scope": {"name": "menu:edit", "displayName": "edit", "bindings": ["admin"]}, "shared": False}
    ]
    api["operations"] = [
        {"target": "/menu", "verb": "GET"},
        {"target": "/menu/{item}", "verb": "PUT", "scopes": ["menu:edit"]},
    ]
    assert (
        await publisher.client.put(f"{BASE}/apis/{api['id']}", json=api, headers=publisher.auth())
    ).status_code == 200
    swagger = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    ).json()
    assert set(swagger["paths"]) == {"/menu", "/menu/{item}"}
    put = swagger["paths"]["/menu/{item}"]["put"]
    assert put["security"] == [{"default": ["menu:edit"]}]
    assert put["parameters"][0]["name"] == "item"
    assert "menu:edit" in swagger["components"]["securitySchemes"]["default"]["flows"]["implicit"]["scopes"]
    validated = await publisher.client.post(
        f"{BASE}/apis/validate-openapi",
        data={"inlineAPIDefinition": json.dumps(swagger)},
        headers=publisher.auth(),
    )
    assert validated.json()["isValid"] is True


async def test_export_gives_the_api_and_its_definition_as_json_or_yaml(publisher: Publisher) -> None:
    api = await publisher.create_api()
    for fmt, load in (("JSON", json.loads), ("YAML", yaml.safe_load)):
        response = await publisher.client.get(
            f"{BASE}/apis/export", params={"apiId": api["id"], "format": fmt}, headers=publisher.auth()
        )
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        ext = fmt.lower()
        descriptor = load(archive.read(f"PizzaShack-1.0.0/api.{ext}"))
        definition = load(archive.read(f"PizzaShack-1.0.0/Definitions/swagger.{ext}"))
        assert descriptor["data"]["name"] == "Pizza Shack"
        assert "/menu" in definition["paths"]


async def test_an_api_named_outside_latin_1_is_exported_under_its_utf_8_file_name(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api({"name": "ピザ", "context": "/piza", "version": "v\u00e9"})
    response = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": api["id"]}, headers=publisher.auth()
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"___v_.zip\"; filename*=UTF-8''%E3%83%94%E3%82%B6_v%C3%A9.zip"
    )
