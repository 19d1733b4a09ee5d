"""Added policies run gateway code found by entry point: a spec names its implementation, and the
publisher refuses to attach or deploy one that no gateway (of the environment) reported having."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import yaml

from tests.publisher_api.conftest import BASE, Publisher
from tests.publisher_api.test_products import product_body, two_apis

SCOPES = [
    "apim:api_view",
    "apim:api_create",
    "apim:api_manage",
    "apim:api_publish",
    "apim:common_operation_policy_manage",
    "apim:mediation_policy_create",
]
STAMP = {
    "category": "Mediation",
    "name": "stampCaller",
    "version": "v1",
    "displayName": "Stamp caller",
    "description": "Tells the backend who called",
    "applicableFlows": ["request"],
    "supportedApiTypes": ["HTTP"],
    "implementation": "acme.stamp_caller",
    "policyAttributes": [{"name": "header", "type": "String", "required": True}],
}
ATTACHED = {"policyName": "stampCaller", "policyVersion": "v1", "parameters": {"header": "X-Caller"}}


async def report(publisher: Publisher, environment: str, *implementations: str) -> None:
    """What a gateway of ``environment`` does on every sync."""
    response = await publisher.client.put(
        f"{BASE}/internal/environments/{environment}/policy-implementations",
        json={"implementations": list(implementations)},
        headers=publisher.internal(),
    )
    assert response.status_code == 200, response.text


async def upload(publisher: Publisher, spec: dict[str, Any] = STAMP) -> Any:
    return await publisher.client.post(
        f"{BASE}/operation-policies",
        files={"policySpecFile": ("stamp.json", json.dumps(spec), "application/json")},
        headers=publisher.auth(SCOPES),
    )


async def put_policies(publisher: Publisher, api: dict[str, Any], **changes: Any) -> Any:
    return await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, **changes}, headers=publisher.auth(SCOPES)
    )


def refused_naming(response: Any, policy: str, implementation: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert policy in [item["message"] for item in body["error"]]
    assert f"'{implementation}' is not installed" in body["description"]


async def test_uploaded_policy_names_its_implementation(publisher: Publisher) -> None:
    created = await upload(publisher)
    assert created.status_code == 201, created.text
    assert created.json()["implementation"] == "acme.stamp_caller"
    shown = await publisher.client.get(
        f"{BASE}/operation-policies/{created.json()['id']}", headers=publisher.auth(SCOPES)
    )
    assert shown.json()["implementation"] == "acme.stamp_caller"
    content = await publisher.client.get(
        f"{BASE}/operation-policies/{created.json()['id']}/content", headers=publisher.auth(SCOPES)
    )
    with zipfile.ZipFile(io.BytesIO(content.content)) as archive:
        exported = yaml.safe_load(archive.read("stampCaller_v1/stampCaller_v1.yaml"))
    assert exported["implementation"] == "acme.stamp_caller"
    unnamed = await upload(publisher, {**STAMP, "name": "plain", "implementation": None})
    assert unnamed.json()["implementation"] == "plain"
    bad = await upload(publisher, {**STAMP, "name": "bad", "implementation": "no spaces allowed"})
    assert bad.status_code == 400
    assert "implementation" in bad.json()["description"]
    builtin = await upload(publisher, {**STAMP, "name": "mine", "implementation": "addHeader"})
    assert builtin.status_code == 400
    assert "'addHeader' is a built-in policy" in builtin.json()["description"]


async def test_attaching_a_policy_without_an_implementation_is_refused(publisher: Publisher) -> None:
    assert (await upload(publisher)).status_code == 201
    api = await publisher.create_api()
    refused = await put_policies(publisher, api, apiPolicies={"request": [ATTACHED]})
    refused_naming(refused, "stampCaller", "acme.stamp_caller")
    operations = [{**api["operations"][0], "operationPolicies": {"request": [ATTACHED]}}]
    refused = await put_policies(publisher, api, operations=operations)
    refused_naming(refused, "stampCaller", "acme.stamp_caller")
    await report(publisher, "Default", "addHeader", "acme.stamp_caller")
    accepted = await put_policies(publisher, api, apiPolicies={"request": [ATTACHED]})
    assert accepted.status_code == 200, accepted.text
    # Built-ins come with every gateway: no report is needed for them.
    builtin = {"policyName": "addHeader", "parameters": {"headerName": "X-A", "headerValue": "1"}}
    created = await publisher.client.post(
        f"{BASE}/apis",
        json={
            "name": "Other",
            "context": "/other",
            "version": "1.0.0",
            "apiPolicies": {"request": [builtin]},
        },
        headers=publisher.auth(SCOPES),
    )
    assert created.status_code == 201, created.text


async def test_deploying_a_revision_with_a_missing_implementation_is_refused(publisher: Publisher) -> None:
    await publisher.tell(
        "environments",
        "environment.created",
        {"name": "Edge", "displayName": "Edge", "type": "hybrid", "vhosts": [{"host": "localhost"}]},
    )
    assert (await upload(publisher)).status_code == 201
    await report(publisher, "Default", "acme.stamp_caller")
    await report(publisher, "Edge", "addHeader")
    api = await publisher.create_api()
    assert (await put_policies(publisher, api, apiPolicies={"request": [ATTACHED]})).status_code == 200
    revision = await publisher.revise(api["id"])
    refused = await publisher.deploy(api["id"], revision["id"], environment="Edge")
    refused_naming(refused, "stampCaller", "acme.stamp_caller")
    assert "environment 'Edge'" in refused.json()["description"]
    deployed = await publisher.deploy(api["id"], revision["id"])
    assert deployed.status_code == 201, deployed.text
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}",
        params={"environment": "Default"},
        headers=publisher.internal(),
    )
    attached = artifact.json()["apiPolicies"]["request"][0]
    assert (attached["policyName"], attached["implementation"]) == ("stampCaller", "acme.stamp_caller")


async def test_a_product_of_an_api_whose_policy_has_no_implementation_is_refused(
    publisher: Publisher,
) -> None:
    assert (await upload(publisher)).status_code == 201
    await report(publisher, "Default", "acme.stamp_caller")
    pizza, drinks = await two_apis(publisher)
    assert (await put_policies(publisher, pizza, apiPolicies={"request": [ATTACHED]})).status_code == 200
    # The environment's gateways now run an image without it.
    await report(publisher, "Default", "addHeader")
    refused = await publisher.client.post(
        f"{BASE}/api-products", json=product_body(pizza, drinks), headers=publisher.auth()
    )
    refused_naming(refused, "stampCaller", "acme.stamp_caller")
    await report(publisher, "Default", "acme.stamp_caller")
    created = await publisher.client.post(
        f"{BASE}/api-products", json=product_body(pizza, drinks), headers=publisher.auth()
    )
    assert created.status_code == 201, created.text


async def test_deploying_a_gateway_policy_with_a_missing_implementation_is_refused(
    publisher: Publisher,
) -> None:
    await publisher.tell(
        "environments",
        "environment.created",
        {"name": "Edge", "displayName": "Edge", "type": "hybrid", "vhosts": [{"host": "localhost"}]},
    )
    assert (await upload(publisher)).status_code == 201
    await report(publisher, "Default", "acme.stamp_caller")
    await report(publisher, "Edge", "addHeader")
    scopes = ["apim:gateway_policy_manage", "apim:gateway_policy_view"]
    mapping = await publisher.client.post(
        f"{BASE}/gateway-policies",
        json={"displayName": "Stamp", "policyMapping": {"request": [ATTACHED]}},
        headers=publisher.auth(scopes),
    )
    assert mapping.status_code == 201, mapping.text
    mapping_id = mapping.json()["id"]

    async def deploy(label: str) -> Any:
        return await publisher.client.post(
            f"{BASE}/gateway-policies/{mapping_id}/deploy",
            json=[{"gatewayLabel": label, "gatewayDeployment": True, "mappingUUID": mapping_id}],
            headers=publisher.auth(scopes),
        )

    refused_naming(await deploy("Edge"), "stampCaller", "acme.stamp_caller")
    deployed = await deploy("Default")
    assert deployed.status_code < 300, deployed.text
