"""MOCKED_OAS and INLINE implementations at the Publisher: scripts are refused, static responses are
checked when the definition is written, and the deployed artifact carries the definition."""

from __future__ import annotations

import json
from typing import Any

from tests.publisher_api.conftest import BASE, Publisher


def _definition(operation_extras: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "Pizza", "version": "1.0.0"},
        "paths": {
            "/menu": {
                "get": {
                    **operation_extras,
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"example": [{"n": 1}]}}}
                    },
                }
            }
        },
    }


async def _put_definition(publisher: Publisher, api_id: str, definition: dict[str, Any]) -> Any:
    return await publisher.client.put(
        f"{BASE}/apis/{api_id}/swagger",
        files={"apiDefinition": (None, json.dumps(definition))},
        headers=publisher.auth(),
    )


async def test_inline_script_is_refused(publisher: Publisher) -> None:
    api = await publisher.create_api({"endpointImplementationType": "INLINE"})
    script = _definition({"x-mediation-script": "mc.setProperty('CONTENT_TYPE', 'application/json');"})
    refused = await _put_definition(publisher, api["id"], script)
    assert refused.status_code == 400
    assert "x-mediation-script" in refused.text
    assert "scripts are not run" in refused.text
    assert "x-static-response" in refused.text  # what to use instead
    generate = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/generate-mock-scripts", headers=publisher.auth()
    )
    assert generate.status_code == 400
    assert "scripts are not run" in generate.json()["description"]
    generated = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/generated-mock-scripts", headers=publisher.auth()
    )
    assert generated.json() == {"count": 0, "list": []}


async def test_malformed_static_response_is_refused(publisher: Publisher) -> None:
    api = await publisher.create_api({"endpointImplementationType": "INLINE"})
    for static in ({"status": 99}, {"headers": {"X-A": 1}}, {"statsu": 200}, "ok"):
        refused = await _put_definition(publisher, api["id"], _definition({"x-static-response": static}))
        assert refused.status_code == 400, static
        assert "x-static-response" in refused.text


async def test_deployed_artifact_carries_the_static_response(publisher: Publisher) -> None:
    api = await publisher.create_api({"endpointImplementationType": "INLINE"})
    static = {"status": 202, "headers": {"X-Queue": "3"}, "body": {"queued": True}}
    put = await _put_definition(publisher, api["id"], _definition({"x-static-response": static}))
    assert put.status_code == 200, put.text
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert artifact.json()["endpointImplementationType"] == "INLINE"
    assert artifact.json()["definition"]["paths"]["/menu"]["get"]["x-static-response"] == static


async def test_mock_implementation_of_a_soap_api_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={
            "name": "Soapy",
            "context": "/soapy",
            "version": "1",
            "type": "SOAP",
            "endpointImplementationType": "MOCKED_OAS",
        },
        headers=publisher.auth(),
    )
    assert response.status_code == 400
    assert "endpointImplementationType" in response.text


async def test_mocked_api_is_published_without_an_endpoint(publisher: Publisher) -> None:
    fields = {"endpointConfig": None}
    plain = await publisher.create_api({**fields, "name": "Plain", "context": "/plain"})
    assert (await publisher.lifecycle(plain["id"], "Publish")).status_code == 400
    mocked = await publisher.create_api({**fields, "endpointImplementationType": "MOCKED_OAS"})
    published = await publisher.lifecycle(mocked["id"], "Publish")
    assert published.status_code == 200, published.text
    assert published.json()["lifecycleState"]["state"] == "Published"


async def test_product_artifact_carries_its_mocked_members_definition(publisher: Publisher) -> None:
    mocked = await publisher.create_api({"endpointImplementationType": "MOCKED_OAS"})
    assert (await _put_definition(publisher, mocked["id"], _definition({}))).status_code == 200
    product = await publisher.client.post(
        f"{BASE}/api-products",
        json={
            "name": "Lunch",
            "context": "/lunch",
            "version": "1.0.0",
            "policies": ["Unlimited"],
            "apis": [{"apiId": mocked["id"], "operations": [{"target": "/menu", "verb": "GET"}]}],
        },
        headers=publisher.auth(),
    )
    assert product.status_code == 201, product.text
    url = f"{BASE}/api-products/{product.json()['id']}"
    revision = await publisher.client.post(f"{url}/revisions", json={}, headers=publisher.auth())
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision.json()['id']}", headers=publisher.internal()
    )
    member = artifact.json()["memberImplementations"][mocked["id"]]
    assert member["endpointImplementationType"] == "MOCKED_OAS"
    assert member["definition"]["paths"]["/menu"]["get"]["responses"]["200"]["content"]
