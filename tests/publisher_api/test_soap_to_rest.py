"""SOAP-to-REST APIs at the Publisher: made from a WSDL (zeep), one POST resource per operation with
JSON schemas from the operation's messages, and their mappings shown and edited as WSO2's
resource policies, strictly."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.publisher_api.conftest import BASE, PIZZA, Publisher, edit_project, running_publisher
from tests.support.soap_service import calc_wsdl
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADDRESS = "http://soap.example.com/calc"
_names = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def publisher(
    tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Publisher]:
    database = tmp_path_factory.mktemp("soap-to-rest-publisher") / "service.db"
    async with running_publisher(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


async def _import(publisher: Publisher, wsdl: bytes, **properties: Any) -> Any:
    number = next(_names)
    fields = {
        "name": f"Calc{number}",
        "context": f"/calc{number}",
        "version": "1.0",
        "policies": ["Unlimited"],
    }
    return await publisher.client.post(
        f"{BASE}/apis/import-wsdl",
        files={"file": ("calc.wsdl", wsdl, "text/xml")},
        data={
            "additionalProperties": json.dumps({**fields, **properties}),
            "implementationType": "SOAPTOREST",
        },
        headers=publisher.auth(),
    )


async def test_a_wsdl_becomes_a_rest_api_with_a_resource_and_schemas_per_operation(
    publisher: Publisher,
) -> None:
    created = await _import(publisher, calc_wsdl(ADDRESS))
    assert created.status_code == 201, created.text
    api = created.json()
    assert api["type"] == "SOAPTOREST"
    assert sorted((o["verb"], o["target"]) for o in api["operations"]) == [
        ("GET", "/Ping"),
        ("POST", "/Add"),
        ("POST", "/Divide"),
    ]
    assert api["endpointConfig"]["production_endpoints"]["url"] == ADDRESS
    swagger = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    ).json()
    add = swagger["paths"]["/Add"]["post"]
    request = add["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"] == {"a": {"type": "integer"}, "b": {"type": "integer"}}
    answer = add["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["AddResponse"]
    assert answer["properties"]["step"] == {"type": "array", "items": {"type": "string"}}
    divide = swagger["paths"]["/Divide"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert divide["properties"]["a"] == {"type": "number"}

    listed = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/resource-policies", params={"sequenceType": "in"}, headers=publisher.auth()
    )
    assert listed.status_code == 200, listed.text
    policies = {p["resourcePath"]: p for p in listed.json()["list"]}
    assert listed.json()["count"] == 3
    assert policies["Ping"]["httpVerb"] == "get"
    assert "requestBody" not in swagger["paths"]["/Ping"]["get"]
    assert policies["Add"]["httpVerb"] == "post"
    content = policies["Add"]["content"]
    assert "soapVersion: 1.1" in content
    assert "soapAction: http://example.com/calc/Add" in content
    assert "namespace: http://example.com/calc" in content
    assert "fields: a, b" in content
    one = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/resource-policies/{policies['Add']['id']}", headers=publisher.auth()
    )
    assert one.json() == policies["Add"]
    out = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/resource-policies",
        params={"sequenceType": "out", "resourcePath": "Divide", "verb": "post"},
        headers=publisher.auth(),
    )
    assert [p["resourcePath"] for p in out.json()["list"]] == ["Divide"]
    assert "Fault" in out.json()["list"][0]["content"]


async def test_a_wsdl_with_only_a_soap_12_binding_maps_to_soap_12(publisher: Publisher) -> None:
    created = await _import(publisher, calc_wsdl(ADDRESS, ("1.2",)))
    assert created.status_code == 201, created.text
    listed = await publisher.client.get(
        f"{BASE}/apis/{created.json()['id']}/resource-policies",
        params={"sequenceType": "in"},
        headers=publisher.auth(),
    )
    assert all("soapVersion: 1.2" in p["content"] for p in listed.json()["list"])


async def test_a_resource_policy_edit_is_read_strictly_and_kept(publisher: Publisher) -> None:
    api = (await _import(publisher, calc_wsdl(ADDRESS))).json()
    url = f"{BASE}/apis/{api['id']}/resource-policies"
    listed = await publisher.client.get(url, params={"sequenceType": "in"}, headers=publisher.auth())
    add = next(p for p in listed.json()["list"] if p["resourcePath"] == "Add")
    content = add["content"]

    async def put(text: str, **extra: Any) -> Any:
        return await publisher.client.put(
            f"{url}/{add['id']}", json={**add, "content": text, **extra}, headers=publisher.auth()
        )

    for bad, named in (
        (content + "timeout: 5\n", "unknown key 'timeout'"),
        (content.replace("soapVersion: 1.1", "soapVersion: 2.0"), "soapVersion must be 1.1 or 1.2"),
        (content.replace("fields: a, b", "fields: a, 1b"), "'1b' is not an XML element name"),
        (content.replace("fields: a, b", "fields: a, a"), "twice"),
        (content.replace("element: Add\n", ""), "missing: element"),
        (content + "element: Sum\n", "element is given twice"),
        (content.replace("qualified: true", "qualified"), "expected 'key: value'"),
    ):
        refused = await put(bad)
        assert refused.status_code == 400, bad
        assert named in refused.json()["description"]
    moved = await put(content, resourcePath="Sum")
    assert moved.status_code == 400
    assert "resourcePath cannot be changed" in moved.json()["description"]
    out_id = add["id"] + "-out"
    fixed = await publisher.client.put(f"{url}/{out_id}", json={"content": "x"}, headers=publisher.auth())
    assert fixed.status_code == 400
    edited = await put(
        content.replace("soapVersion: 1.1", "soapVersion: 1.2").replace("fields: a, b", "fields: b, a")
    )
    assert edited.status_code == 200, edited.text
    again = await publisher.client.get(f"{url}/{add['id']}", headers=publisher.auth())
    assert "soapVersion: 1.2" in again.json()["content"]
    assert "fields: b, a" in again.json()["content"]
    viewer = publisher.auth(["apim:api_view"])
    denied = await publisher.client.put(f"{url}/{add['id']}", json={"content": content}, headers=viewer)
    assert denied.status_code == 403
    other = publisher.auth(tenant="acme.com", user="bob@acme.com")
    hidden = await publisher.client.get(f"{url}/{add['id']}", headers=other)
    assert hidden.status_code == 404


async def test_soap_to_rest_needs_a_usable_wsdl_and_is_not_made_by_hand(publisher: Publisher) -> None:
    by_hand = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "type": "SOAPTOREST"}, headers=publisher.auth()
    )
    assert by_hand.status_code == 400
    assert "import-wsdl" in by_hand.json()["description"]
    external = calc_wsdl(ADDRESS).replace(
        b"<types>", b'<import namespace="urn:x" location="http://169.254.169.254/other.wsdl"/><types>'
    )
    refused = await _import(publisher, external)
    assert refused.status_code == 400
    assert "another document" in refused.json()["description"]
    no_binding = calc_wsdl(ADDRESS, ())
    assert (await _import(publisher, no_binding)).status_code == 400
    with_operations = await _import(
        publisher, calc_wsdl(ADDRESS), operations=[{"target": "/x", "verb": "GET"}]
    )
    assert with_operations.status_code == 400
    assert "operations" in with_operations.json()["description"]
    http_api = await publisher.create_api()
    none = await publisher.client.get(
        f"{BASE}/apis/{http_api['id']}/resource-policies",
        params={"sequenceType": "in"},
        headers=publisher.auth(),
    )
    assert none.status_code == 404


async def test_a_project_export_and_import_keeps_the_mappings(publisher: Publisher) -> None:
    api = (await _import(publisher, calc_wsdl(ADDRESS))).json()
    url = f"{BASE}/apis/{api['id']}/resource-policies"
    add = (await publisher.client.get(url, params={"sequenceType": "in"}, headers=publisher.auth())).json()
    add = next(p for p in add["list"] if p["resourcePath"] == "Add")
    edited = add["content"].replace("soapAction: http://example.com/calc/Add", "soapAction: urn:edited")
    assert (
        await publisher.client.put(f"{url}/{add['id']}", json={"content": edited}, headers=publisher.auth())
    ).status_code == 200
    exported = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": api["id"]}, headers=publisher.auth()
    )
    assert exported.status_code == 200, exported.text
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert any(n.endswith("/Sequences/soap_to_rest.yaml") for n in names)

    def renamed(data: dict[str, Any]) -> None:
        data.update(name="CalcCopy", context="/calccopy")

    imports = ["apim:api_import_export", "apim:api_view"]
    copy = await publisher.client.post(
        f"{BASE}/apis/import",
        files={"file": ("p.zip", edit_project(exported.content, "api.yaml", renamed), "application/zip")},
        headers=publisher.auth(imports),
    )
    assert copy.status_code == 200, copy.text
    listed = await publisher.client.get(
        f"{BASE}/apis", params={"query": "name:CalcCopy"}, headers=publisher.auth()
    )
    copy_id = next(a["id"] for a in listed.json()["list"] if a["name"] == "CalcCopy")
    policies = await publisher.client.get(
        f"{BASE}/apis/{copy_id}/resource-policies", params={"sequenceType": "in"}, headers=publisher.auth()
    )
    assert any("soapAction: urn:edited" in p["content"] for p in policies.json()["list"])

    source = zipfile.ZipFile(io.BytesIO(exported.content))
    stripped = io.BytesIO()
    with zipfile.ZipFile(stripped, "w") as target:
        for name in source.namelist():
            if not name.endswith("soap_to_rest.yaml"):
                target.writestr(name, source.read(name))
    without = await publisher.client.post(
        f"{BASE}/apis/import",
        files={"file": ("p.zip", edit_project(stripped.getvalue(), "api.yaml", renamed), "application/zip")},
        params={"overwrite": "true"},
        headers=publisher.auth(imports),
    )
    assert without.status_code == 400
    assert "Sequences/soap_to_rest.yaml" in without.json()["description"]


async def test_an_rpc_binding_maps_its_parts_unqualified_under_the_operation(publisher: Publisher) -> None:
    rpc = (
        calc_wsdl(ADDRESS, ("1.1",))
        .replace(b'style="document"', b'style="rpc"')
        .replace(b'<soap:body use="literal"/>', b'<soap:body use="literal" namespace="urn:rpc"/>')
        .replace(
            b'<part name="parameters" element="tns:Add"/>',
            b'<part name="x" type="xs:int"/><part name="y" type="xs:string"/>',
        )
    )
    created = await _import(publisher, rpc)
    assert created.status_code == 201, created.text
    listed = await publisher.client.get(
        f"{BASE}/apis/{created.json()['id']}/resource-policies",
        params={"sequenceType": "in", "resourcePath": "Add"},
        headers=publisher.auth(),
    )
    content = listed.json()["list"][0]["content"]
    assert "namespace: urn:rpc\n" in content
    assert "qualified: false\n" in content
    assert "fields: x, y\n" in content


async def test_a_wsdl_url_goes_through_the_outbound_guard(publisher: Publisher) -> None:
    refused = await publisher.client.post(
        f"{BASE}/apis/import-wsdl",
        data={
            "url": "http://169.254.169.254/latest?wsdl",
            "additionalProperties": json.dumps({"name": "Meta", "context": "/meta", "version": "1.0"}),
            "implementationType": "SOAPTOREST",
        },
        headers=publisher.auth(),
    )
    assert refused.status_code == 400
    assert "link-local" in refused.json()["description"]
