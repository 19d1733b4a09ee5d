"""Gateway (global) policy mappings: CRUD, deployment to gateway labels, snapshot and events."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, Publisher

GW = ["apim:gateway_policy_manage", "apim:gateway_policy_view"]
MAPPING = {
    "displayName": "Trace everything",
    "description": "Adds a trace header and logs",
    "policyMapping": {
        "request": [
            {
                "policyName": "addHeader",
                "policyVersion": "v1",
                "parameters": {"headerName": "X-Trace", "headerValue": "on"},
            },
            {"policyName": "addLogMessage", "policyVersion": "v1", "parameters": {"logMessage": "in"}},
        ],
        "response": [
            {"policyName": "removeHeader", "policyVersion": "v1", "parameters": {"headerName": "Server"}}
        ],
        "fault": [{"policyName": "jsonFault", "policyVersion": "v1"}],
    },
}


async def create(publisher: Publisher, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return await publisher.client.post(
        f"{BASE}/gateway-policies", json=body or MAPPING, headers=publisher.auth(GW, **kwargs)
    )


async def deploy(publisher: Publisher, mapping_id: str, label: str, on: bool) -> Any:
    return await publisher.client.post(
        f"{BASE}/gateway-policies/{mapping_id}/deploy",
        json=[{"gatewayLabel": label, "gatewayDeployment": on, "mappingUUID": mapping_id}],
        headers=publisher.auth(GW),
    )


async def snapshot(publisher: Publisher, environment: str = "Default") -> dict[str, Any]:
    response = await publisher.client.get(
        f"{BASE}/internal/snapshot", params={"environment": environment}, headers=publisher.internal()
    )
    body: dict[str, Any] = response.json()
    return body


async def test_a_mapping_is_created_listed_read_updated_and_deleted(publisher: Publisher) -> None:
    created = await create(publisher)
    assert created.status_code == 201, created.text
    mapping = created.json()
    assert [p["policyName"] for p in mapping["policyMapping"]["request"]] == ["addHeader", "addLogMessage"]
    assert mapping["appliedGatewayLabels"] == []
    listed = await publisher.client.get(f"{BASE}/gateway-policies", headers=publisher.auth(GW))
    assert [m["displayName"] for m in listed.json()["list"]] == ["Trace everything"]
    renamed = await publisher.client.put(
        f"{BASE}/gateway-policies/{mapping['id']}",
        json={**MAPPING, "displayName": "Trace"},
        headers=publisher.auth(GW),
    )
    assert renamed.json()["displayName"] == "Trace"
    one = await publisher.client.get(f"{BASE}/gateway-policies/{mapping['id']}", headers=publisher.auth(GW))
    assert one.json()["displayName"] == "Trace"
    deleted = await publisher.client.delete(
        f"{BASE}/gateway-policies/{mapping['id']}", headers=publisher.auth(GW)
    )
    assert deleted.status_code == 200
    gone = await publisher.client.get(f"{BASE}/gateway-policies/{mapping['id']}", headers=publisher.auth(GW))
    assert gone.status_code == 404


async def test_a_mapping_with_an_invalid_parameter_is_400_naming_it(publisher: Publisher) -> None:
    body = {
        "displayName": "Bad",
        "policyMapping": {"request": [{"policyName": "addHeader", "parameters": {"headerName": "X"}}]},
    }
    response = await create(publisher, body)
    assert response.status_code == 400
    assert "headerValue" in response.json()["description"]


async def test_a_mapping_deployed_to_default_is_in_its_snapshot_until_undeployed(
    publisher: Publisher,
) -> None:
    mapping = (await create(publisher)).json()
    deployed = await deploy(publisher, mapping["id"], "Default", True)
    assert deployed.status_code == 200, deployed.text
    listed = (await snapshot(publisher))["gatewayPolicies"]
    assert [m["id"] for m in listed] == [mapping["id"]]
    assert listed[0]["tenant"] == "carbon.super"
    request = listed[0]["policyMapping"]["request"]
    assert [p["policyName"] for p in request] == ["addHeader", "addLogMessage"]
    assert request[1]["parameters"] == {"logMessage": "in", "logHeaders": False, "logPayload": False}
    applied = await publisher.client.get(
        f"{BASE}/gateway-policies/{mapping['id']}", headers=publisher.auth(GW)
    )
    assert applied.json()["appliedGatewayLabels"] == ["Default"]
    await publisher.settle()
    events = [e for t, e in publisher.events if t == "gateway-policies"]
    assert [e.type for e in events] == ["gateway-policy.deployed"]
    assert events[0].data["gatewayLabel"] == "Default"
    assert events[0].data["policyMapping"]["fault"][0]["policyName"] == "jsonFault"
    assert (await deploy(publisher, mapping["id"], "Default", False)).status_code == 200
    assert (await snapshot(publisher))["gatewayPolicies"] == []
    await publisher.settle()
    assert publisher.of_type("gateway-policy.undeployed")[0].data["id"] == mapping["id"]


async def test_a_deployed_mapping_cannot_be_deleted_and_an_update_is_redeployed(publisher: Publisher) -> None:
    mapping = (await create(publisher)).json()
    await deploy(publisher, mapping["id"], "Default", True)
    refused = await publisher.client.delete(
        f"{BASE}/gateway-policies/{mapping['id']}", headers=publisher.auth(GW)
    )
    assert refused.status_code == 409
    changed = {**MAPPING, "policyMapping": {"request": [MAPPING["policyMapping"]["request"][0]]}}
    await publisher.client.put(
        f"{BASE}/gateway-policies/{mapping['id']}", json=changed, headers=publisher.auth(GW)
    )
    await publisher.settle()
    deployed = publisher.of_type("gateway-policy.deployed")
    assert len(deployed) == 2
    assert deployed[-1].data["policyMapping"]["response"] == []
    assert (await snapshot(publisher))["gatewayPolicies"][0]["policyMapping"]["response"] == []


async def test_a_label_runs_one_mapping_and_unknown_labels_are_400(publisher: Publisher) -> None:
    first = (await create(publisher)).json()
    second = (await create(publisher, {**MAPPING, "displayName": "Second"})).json()
    assert (await deploy(publisher, first["id"], "Default", True)).status_code == 200
    assert (await deploy(publisher, second["id"], "Default", True)).status_code == 409
    assert (await deploy(publisher, first["id"], "Nowhere", True)).status_code == 400


async def test_mappings_of_one_tenant_are_invisible_to_another(publisher: Publisher) -> None:
    mapping = (await create(publisher)).json()
    other = publisher.auth(GW, user="bob@acme.com", tenant="acme.com")
    assert (
        await publisher.client.get(f"{BASE}/gateway-policies/{mapping['id']}", headers=other)
    ).status_code == 404
    assert (await publisher.client.get(f"{BASE}/gateway-policies", headers=other)).json()["count"] == 0


async def test_gateway_policy_endpoints_need_their_scopes(publisher: Publisher) -> None:
    viewer = publisher.auth(["apim:gateway_policy_view"])
    assert (await publisher.client.get(f"{BASE}/gateway-policies", headers=viewer)).status_code == 200
    refused = await publisher.client.post(f"{BASE}/gateway-policies", json=MAPPING, headers=viewer)
    assert refused.status_code == 403
    api_manager = publisher.auth(["apim:api_manage"])
    assert (await publisher.client.get(f"{BASE}/gateway-policies", headers=api_manager)).status_code == 403
