"""Operation policies: the catalogue, attachments checked against specs, order, and what the gateway gets."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from tests.publisher_api.conftest import BASE, Publisher
from tests.publisher_api.test_custom_policy_implementations import report

REPO = Path(__file__).resolve().parents[2]
POLICY_SCOPES = [
    "apim:api_view",
    "apim:api_create",
    "apim:api_manage",
    "apim:common_operation_policy_manage",
    "apim:mediation_policy_create",
    "apim:policies_import_export",
]
ADD_HEADER = {
    "policyName": "addHeader",
    "policyVersion": "v1",
    "parameters": {"headerName": "X-A", "headerValue": "1"},
}
CUSTOM_SPEC = {
    "category": "Mediation",
    "name": "stampTenant",
    "version": "v1",
    "displayName": "Stamp tenant",
    "description": "Adds the tenant to the request",
    "applicableFlows": ["request"],
    "supportedApiTypes": ["HTTP"],
    "policyAttributes": [
        {"name": "header", "type": "String", "required": True, "validationRegex": "^X-[A-Za-z-]+$"}
    ],
}


def header(name: str, value: str) -> dict[str, Any]:
    return {
        "policyName": "addHeader",
        "policyVersion": "v1",
        "parameters": {"headerName": name, "headerValue": value},
    }


async def put_api(publisher: Publisher, api: dict[str, Any], **changes: Any) -> Any:
    return await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, **changes}, headers=publisher.auth(POLICY_SCOPES)
    )


def test_the_publishers_builtin_catalogue_equals_the_gateways() -> None:
    ours = REPO / "services/publisher-api/apim_publisher/policies/builtin_policies.json"
    theirs = REPO / "services/gateway/apim_gateway/policies/builtin_policies.json"
    assert json.loads(ours.read_text()) == json.loads(theirs.read_text())


async def test_the_common_catalogue_lists_the_builtins_in_wso2s_format(publisher: Publisher) -> None:
    response = await publisher.client.get(
        f"{BASE}/operation-policies", params={"limit": 100}, headers=publisher.auth(POLICY_SCOPES)
    )
    assert response.status_code == 200
    names = {p["name"] for p in response.json()["list"]}
    assert {"addHeader", "removeHeader", "rewriteResourcePath", "changeHTTPMethod", "addQueryParam"} <= names
    assert {"jsonToXML", "xmlToJson", "jsonValidator", "regexPolicy", "addLogMessage", "CORS"} <= names
    assert {"jwtClaimBasedAccessValidator", "backEndJWT", "mirrorRequest", "redirectRequest"} <= names
    assert "callInterceptorService" in names
    add_header = next(p for p in response.json()["list"] if p["name"] == "addHeader")
    assert add_header["applicableFlows"] == ["request", "response", "fault"]
    assert add_header["isAPISpecific"] is False
    attribute = add_header["policyAttributes"][0]
    assert (attribute["name"], attribute["required"], attribute["type"]) == ("headerName", True, "String")
    one = await publisher.client.get(
        f"{BASE}/operation-policies/{add_header['id']}", headers=publisher.auth(POLICY_SCOPES)
    )
    assert one.json()["name"] == "addHeader"


async def test_a_missing_required_attribute_is_400_naming_it(publisher: Publisher) -> None:
    api = await publisher.create_api()
    missing = {"policyName": "addHeader", "policyVersion": "v1", "parameters": {"headerName": "X-A"}}
    response = await put_api(publisher, api, apiPolicies={"request": [missing]})
    assert response.status_code == 400
    assert "headerValue" in response.json()["description"]
    assert response.json()["error"][0]["message"] == "headerValue"


async def test_a_value_failing_its_regex_is_400_naming_the_attribute(publisher: Publisher) -> None:
    api = await publisher.create_api()
    operations = [{**api["operations"][0], "operationPolicies": {"request": [header("bad header", "1")]}}]
    response = await put_api(publisher, api, operations=operations)
    assert response.status_code == 400
    assert "headerName" in response.json()["description"]
    assert "GET /menu" in response.json()["description"]


async def test_unknown_policies_wrong_flows_and_duplicates_are_refused_when_creating(
    publisher: Publisher,
) -> None:
    cases = [
        {"request": [{"policyName": "noSuchPolicy", "policyVersion": "v1"}]},
        {"fault": [{"policyName": "rewriteResourcePath", "parameters": {"newResourcePath": "/x"}}]},
        {"request": [{"policyName": "xmlToJson"}, {"policyName": "xmlToJson"}]},
    ]
    for policies in cases:
        response = await publisher.client.post(
            f"{BASE}/apis",
            json={"name": "P", "context": "/p", "version": "1", "apiPolicies": policies},
            headers=publisher.auth(),
        )
        assert response.status_code == 400, policies
        assert response.json()["description"].startswith("API ")


async def test_the_order_given_is_the_order_stored_and_exported(publisher: Publisher) -> None:
    api = await publisher.create_api()
    order = [header("X-3", "c"), header("X-1", "a"), header("X-2", "b")]
    response = await put_api(publisher, api, apiPolicies={"request": order})
    assert response.status_code == 200, response.text
    stored = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert [p["parameters"]["headerName"] for p in stored.json()["apiPolicies"]["request"]] == [
        "X-3",
        "X-1",
        "X-2",
    ]
    exported = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": api["id"], "format": "JSON"}, headers=publisher.auth()
    )
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        api_file = next(n for n in archive.namelist() if n.endswith("api.json"))
        data = json.loads(archive.read(api_file))["data"]
    assert [p["parameters"]["headerName"] for p in data["apiPolicies"]["request"]] == ["X-3", "X-1", "X-2"]
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert [p["parameters"]["headerName"] for p in artifact.json()["apiPolicies"]["request"]] == [
        "X-3",
        "X-1",
        "X-2",
    ]


async def test_api_level_policies_win_over_operation_level_ones_in_the_artifact(publisher: Publisher) -> None:
    api = await publisher.create_api()
    operations = [{**api["operations"][0], "operationPolicies": {"request": [header("X-Op", "1")]}}]
    response = await put_api(
        publisher, api, operations=operations, apiPolicies={"request": [header("X-Api", "1")]}
    )
    assert response.status_code == 200, response.text
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    artifact = (
        await publisher.client.get(
            f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
        )
    ).json()
    assert [p["parameters"]["headerName"] for p in artifact["apiPolicies"]["request"]] == ["X-Api"]
    assert artifact["operations"][0]["operationPolicies"] == {"request": [], "response": [], "fault": []}


async def test_operation_policies_reach_the_artifact_typed_with_defaults_filled(publisher: Publisher) -> None:
    api = await publisher.create_api()
    rewrite = {
        "policyName": "rewriteResourcePath",
        "policyVersion": "v1",
        "parameters": {"newResourcePath": "/v2/menu"},
    }
    backend_jwt = {"policyName": "backEndJWT", "policyVersion": "v1", "parameters": {"tokenTTL": "60"}}
    policies = {"request": [rewrite, backend_jwt]}
    operations = [{**api["operations"][0], "operationPolicies": policies}]
    assert (await put_api(publisher, api, operations=operations)).status_code == 200
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    snapshot = (
        await publisher.client.get(
            f"{BASE}/internal/snapshot", params={"environment": "Default"}, headers=publisher.internal()
        )
    ).json()
    request = snapshot["artifacts"][0]["operations"][0]["operationPolicies"]["request"]
    assert [p["policyName"] for p in request] == ["rewriteResourcePath", "backEndJWT"]
    assert request[0]["parameters"] == {"newResourcePath": "/v2/menu", "includeQueryParams": True}
    assert request[1]["parameters"]["tokenTTL"] == 60
    assert request[1]["parameters"]["header"] == "X-JWT-Assertion"
    assert request[0]["policyId"]


async def test_a_common_policy_can_be_added_attached_downloaded_and_deleted(publisher: Publisher) -> None:
    auth = publisher.auth(POLICY_SCOPES)
    files = {
        "policySpecFile": ("stamp.json", json.dumps(CUSTOM_SPEC), "application/json"),
        "synapsePolicyDefinitionFile": ("stamp.j2", "<property name='t'/>", "text/plain"),
    }
    created = await publisher.client.post(f"{BASE}/operation-policies", files=files, headers=auth)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert (policy["name"], policy["isAPISpecific"]) == ("stampTenant", False)
    again = await publisher.client.post(f"{BASE}/operation-policies", files=files, headers=auth)
    assert again.status_code == 409
    api = await publisher.create_api()
    await report(publisher, "Default", "stampTenant")
    bad = {"policyName": "stampTenant", "policyVersion": "v1", "parameters": {"header": "Tenant"}}
    assert (await put_api(publisher, api, apiPolicies={"request": [bad]})).status_code == 400
    good = {"policyName": "stampTenant", "policyVersion": "v1", "parameters": {"header": "X-Tenant"}}
    assert (await put_api(publisher, api, apiPolicies={"request": [good]})).status_code == 200
    content = await publisher.client.get(f"{BASE}/operation-policies/{policy['id']}/content", headers=auth)
    with zipfile.ZipFile(io.BytesIO(content.content)) as archive:
        assert sorted(Path(n).name for n in archive.namelist()) == ["stamp.j2", "stampTenant_v1.yaml"]
    in_use = await publisher.client.delete(f"{BASE}/operation-policies/{policy['id']}", headers=auth)
    assert in_use.status_code == 409
    assert (await put_api(publisher, api, apiPolicies={"request": []})).status_code == 200
    deleted = await publisher.client.delete(f"{BASE}/operation-policies/{policy['id']}", headers=auth)
    assert deleted.status_code == 200
    gone = await publisher.client.get(f"{BASE}/operation-policies/{policy['id']}", headers=auth)
    assert gone.status_code == 404


async def test_a_policy_exported_can_be_imported_into_another_tenant(publisher: Publisher) -> None:
    auth = publisher.auth(POLICY_SCOPES)
    files = {"policySpecFile": ("stamp.yaml", json.dumps(CUSTOM_SPEC), "application/yaml")}
    assert (
        await publisher.client.post(f"{BASE}/operation-policies", files=files, headers=auth)
    ).status_code == 201
    exported = await publisher.client.get(
        f"{BASE}/operation-policies/export", params={"name": "stampTenant", "version": "v1"}, headers=auth
    )
    assert exported.headers["content-type"] == "application/zip"
    other = publisher.auth(POLICY_SCOPES, user="bob@acme.com", tenant="acme.com")
    listed = await publisher.client.get(
        f"{BASE}/operation-policies", params={"query": "stamp"}, headers=other
    )
    assert listed.json()["count"] == 0
    imported = await publisher.client.post(
        f"{BASE}/operation-policies/import",
        files={"file": ("p.zip", exported.content, "application/zip")},
        headers=other,
    )
    assert imported.status_code == 200, imported.text
    listed = await publisher.client.get(
        f"{BASE}/operation-policies", params={"query": "stamp"}, headers=other
    )
    assert [p["name"] for p in listed.json()["list"]] == ["stampTenant"]


async def test_builtins_cannot_be_deleted(publisher: Publisher) -> None:
    auth = publisher.auth(POLICY_SCOPES)
    listed = (await publisher.client.get(f"{BASE}/operation-policies", headers=auth)).json()["list"]
    response = await publisher.client.delete(f"{BASE}/operation-policies/{listed[0]['id']}", headers=auth)
    assert response.status_code == 403


async def test_api_specific_policies_belong_to_their_api_only(publisher: Publisher) -> None:
    auth = publisher.auth(POLICY_SCOPES)
    api = await publisher.create_api()
    other = await publisher.create_api({"name": "Other", "context": "/other"})
    files = {"policySpecFile": ("stamp.json", json.dumps(CUSTOM_SPEC), "application/json")}
    created = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/operation-policies", files=files, headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.json()["isAPISpecific"] is True
    listing = await publisher.client.get(f"{BASE}/apis/{api['id']}/operation-policies", headers=auth)
    assert [p["name"] for p in listing.json()["list"]] == ["stampTenant"]
    one = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/operation-policies/{created.json()['id']}", headers=auth
    )
    assert one.status_code == 200
    content = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/operation-policies/{created.json()['id']}/content", headers=auth
    )
    assert content.headers["content-type"] == "application/zip"
    attach = {"request": [{"policyName": "stampTenant", "parameters": {"header": "X-T"}}]}
    await report(publisher, "Default", "stampTenant")
    assert (await put_api(publisher, api, apiPolicies=attach)).status_code == 200
    assert (await put_api(publisher, other, apiPolicies=attach)).status_code == 400
    deleted = await publisher.client.delete(
        f"{BASE}/apis/{other['id']}/operation-policies/{created.json()['id']}", headers=auth
    )
    assert deleted.status_code == 404


async def test_policy_endpoints_need_their_scopes(publisher: Publisher) -> None:
    api = await publisher.create_api()
    files = {"policySpecFile": ("stamp.json", json.dumps(CUSTOM_SPEC), "application/json")}
    viewer = publisher.auth(["apim:mediation_policy_view", "apim:common_operation_policy_view"])
    assert (await publisher.client.get(f"{BASE}/operation-policies", headers=viewer)).status_code == 200
    assert (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/operation-policies", headers=viewer)
    ).status_code == 200
    refused = await publisher.client.post(f"{BASE}/operation-policies", files=files, headers=viewer)
    assert refused.status_code == 403
    refused = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/operation-policies", files=files, headers=viewer
    )
    assert refused.status_code == 403
    creator = publisher.auth(["apim:mediation_policy_create"])
    allowed = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/operation-policies", files=files, headers=creator
    )
    assert allowed.status_code == 201


async def test_a_policy_spec_file_with_a_control_character_is_400(publisher: Publisher) -> None:
    files = {"policySpecFile": ("policySpecFile", "\u0092".encode(), "application/octet-stream")}
    created = await publisher.client.post(
        f"{BASE}/operation-policies", files=files, headers=publisher.auth(POLICY_SCOPES)
    )
    assert created.status_code == 400, created.text
    assert "unacceptable character #x0092" in created.json()["description"]
