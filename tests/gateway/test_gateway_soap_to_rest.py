"""SOAP-to-REST at the gateway: the envelope built from JSON and the SOAP answer made into JSON
(units), then through the real platform: APIs imported from a real local SOAP service's WSDL
(by URL and by upload), deployed, called with JSON; a fault; SOAP 1.2; an edited mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from apim_gateway.soaptorest import EnvelopeError, NotSoap, build_envelope, compile_operation, soap_to_json
from tests.support.soap_service import NOT_XML_TRIGGER, SOAP11, SOAP12, SoapService, calc_wsdl, soap_service
from tests.support.standalone import (
    DEVPORTAL,
    PUBLISHER,
    Shared,
    Standalone,
    bearer,
    eventually,
    shared_platform,
)

MAPPING: dict[str, Any] = {
    "soapVersion": "1.1",
    "soapAction": "urn:add",
    "namespace": "http://example.com/calc",
    "element": "Add",
    "qualified": True,
    "fields": ["a", "b", "note"],
}


# ---- units: the envelope and the answer


def test_the_envelope_fills_the_fields_in_the_mappings_order_with_escaped_text() -> None:
    operation = compile_operation(MAPPING)
    envelope = build_envelope(operation, b'{"b": 2.5, "note": {"by": "<me>", "tags": ["x", "y"]}, "a": true}')
    assert envelope.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Body>'
        '<m:Add xmlns:m="http://example.com/calc"><m:a>true</m:a><m:b>2.5</m:b>'
        "<m:note><m:by>&lt;me&gt;</m:by><m:tags>x</m:tags><m:tags>y</m:tags></m:note>"
        "</m:Add></soapenv:Body></soapenv:Envelope>"
    )
    assert operation.headers == (("content-type", "text/xml; charset=utf-8"), ("soapaction", '"urn:add"'))
    unqualified = compile_operation({**MAPPING, "qualified": False, "soapVersion": "1.2"})
    assert b"<m:Add xmlns:m=" in build_envelope(unqualified, b'{"a": 1, "b": null}')
    assert b"<a>1</a></m:Add>" in build_envelope(unqualified, b'{"a": 1, "b": null}')
    assert SOAP12.encode() in unqualified.head
    assert unqualified.headers == (("content-type", 'application/soap+xml; charset=utf-8; action="urn:add"'),)


def test_the_envelope_refuses_what_it_cannot_carry() -> None:
    operation = compile_operation(MAPPING)
    for body, named in (
        (b'{"a": 1, "c": 2}', "c: not a field of Add"),
        (b"[1, 2]", "must be a JSON object"),
        (b"{nope", "not valid JSON"),
        (b'{"note": {"1x": 1}}', "'1x'"),
        (b'{"a": [[1]]}', "array inside an array"),
    ):
        with pytest.raises(EnvelopeError, match=named):
            build_envelope(operation, body)
    with pytest.raises(ValueError, match="soapVersion"):
        compile_operation({**MAPPING, "soapVersion": "2.0"})


def test_a_soap_answer_becomes_json_with_arrays_attributes_and_primitives() -> None:
    body = (
        f'<e:Envelope xmlns:e="{SOAP11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Body>'
        '<r:AddResponse xmlns:r="urn:r"><r:result unit="cm">5</r:result><r:step>one</r:step>'
        '<r:step>two</r:step><r:zip>007</r:zip><r:ok>true</r:ok><r:none xsi:nil="true"/></r:AddResponse>'
        "</e:Body></e:Envelope>"
    ).encode()
    status, answer = soap_to_json(body, 200)
    assert status == 200
    assert json.loads(answer) == {
        "AddResponse": {
            "result": {"@unit": "cm", "$": 5},
            "step": ["one", "two"],
            "zip": "007",
            "ok": True,
            "none": None,
        }
    }


def test_a_soap_fault_of_either_version_becomes_json_and_500() -> None:
    fault_11 = (
        f'<e:Envelope xmlns:e="{SOAP11}"><e:Body><e:Fault><faultcode>e:Server</faultcode>'
        "<faultstring>Oven is cold</faultstring><detail><temp>12</temp></detail>"
        "</e:Fault></e:Body></e:Envelope>"
    ).encode()
    assert soap_to_json(fault_11, 200) == (
        500,
        b'{"Fault":{"faultcode":"e:Server","faultstring":"Oven is cold","detail":{"temp":12}}}',
    )
    fault_12 = (
        f'<e:Envelope xmlns:e="{SOAP12}"><e:Body><e:Fault><e:Code><e:Value>e:Sender</e:Value></e:Code>'
        "<e:Reason><e:Text>Bad input</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>"
    ).encode()
    assert json.loads(soap_to_json(fault_12, 500)[1]) == {
        "Fault": {"faultcode": "e:Sender", "faultstring": "Bad input"}
    }


def test_an_answer_that_is_not_a_soap_envelope_is_refused() -> None:
    for body in (b"plain text", b"<html/>", f'<e:Envelope xmlns:e="{SOAP11}"/>'.encode()):
        with pytest.raises(NotSoap):
            soap_to_json(body, 200)
    bomb = b'<!DOCTYPE d [<!ENTITY a "aaaa">]><e:Envelope xmlns:e="x">&a;</e:Envelope>'
    with pytest.raises(NotSoap):
        soap_to_json(bomb, 200)


# ---- through the platform


@pytest.fixture(scope="module")
def service() -> Iterator[SoapService]:
    with soap_service() as running:
        yield running


def _deploy(s: Standalone, auth: dict[str, str], api_id: str, kind: str = "apis") -> None:
    revision = s.control.post(f"{PUBLISHER}/{kind}/{api_id}/revisions", json={}, headers=auth)
    assert revision.status_code == 201, revision.text
    deployed = s.control.post(
        f"{PUBLISHER}/{kind}/{api_id}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost", "displayOnDevportal": True}],
        headers=auth,
    )
    assert deployed.status_code == 201, deployed.text


def _import(s: Standalone, auth: dict[str, str], name: str, **source: Any) -> str:
    """A SOAPTOREST API from a WSDL (``url=`` or ``files=``), deployed and published: its id."""
    properties = {"name": name, "context": f"/{name.lower()}", "version": "1.0", "policies": ["Unlimited"]}
    data = {"additionalProperties": json.dumps(properties), "implementationType": "SOAPTOREST"}
    if "url" in source:
        data["url"] = source["url"]
    created = s.control.post(
        f"{PUBLISHER}/apis/import-wsdl", data=data, files=source.get("files"), headers=auth
    )
    assert created.status_code == 201, created.text
    api_id = str(created.json()["id"])
    _deploy(s, auth, api_id)
    published = s.control.post(
        f"{PUBLISHER}/apis/change-lifecycle", params={"apiId": api_id, "action": "Publish"}, headers=auth
    )
    assert published.status_code == 200, published.text
    return api_id


@pytest.fixture(scope="module")
def platform(request: pytest.FixtureRequest, service: SoapService) -> dict[str, Any]:
    """Two SOAPTOREST APIs on the local service (SOAP 1.1 by URL, SOAP 1.2 by upload) and a token
    of an application subscribed to both."""
    shared: Shared = shared_platform(request)
    s, auth = shared.platform, bearer(shared.admin_token)
    calc11 = _import(s, auth, "SoapCalc", url=f"{service.address}?wsdl")
    wsdl12 = calc_wsdl(service.address, ("1.2",))
    calc12 = _import(s, auth, "SoapCalc12", files={"file": ("calc.wsdl", wsdl12, "text/xml")})
    product = s.control.post(
        f"{PUBLISHER}/api-products",
        json={
            "name": "SoapBundle",
            "context": "/soapbundle",
            "version": "1.0",
            "policies": ["Unlimited"],
            "apis": [{"apiId": calc11, "operations": [{"target": "/Add", "verb": "POST"}]}],
        },
        headers=auth,
    )
    assert product.status_code == 201, product.text
    bundle = str(product.json()["id"])
    _deploy(s, auth, bundle, "api-products")
    published = s.control.post(
        f"{PUBLISHER}/api-products/change-lifecycle",
        params={"apiProductId": bundle, "action": "Publish"},
        headers=auth,
    )
    assert published.status_code == 200, published.text
    app = s.subscribed_app(shared.admin_token, calc11, "SoapCalcApp")
    for other in (calc12, bundle):
        eventually(
            lambda api=other: s.control.get(f"{DEVPORTAL}/apis/{api}", headers=auth),
            lambda r: r.status_code == 200,
        )
        subscribed = s.control.post(
            f"{DEVPORTAL}/subscriptions",
            json={"applicationId": app["applicationId"], "apiId": other, "throttlingPolicy": "Unlimited"},
            headers=auth,
        )
        assert subscribed.status_code == 201, subscribed.text
    token = s.app_token(app).json()["access_token"]
    return {"s": s, "auth": auth, "calc11": calc11, "calc12": calc12, "call": bearer(token)}


def _call(platform: dict[str, Any], path: str, body: Any) -> Any:
    s: Standalone = platform["s"]
    return eventually(
        lambda: s.gateway.post(path, json=body, headers=platform["call"]),
        lambda r: r.status_code not in (401, 403, 404),
    )


def test_json_in_soap_to_the_service_and_json_back(platform: dict[str, Any], service: SoapService) -> None:
    r = _call(platform, "/soapcalc/1.0/Add", {"a": 2, "b": 3})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"AddResponse": {"result": 5, "step": ["took 2", "added 3"]}}
    seen = service.requests[-1]
    assert seen.headers["content-type"] == "text/xml; charset=utf-8"
    assert seen.headers["soapaction"] == '"http://example.com/calc/Add"'
    assert b'<m:Add xmlns:m="http://example.com/calc"><m:a>2</m:a><m:b>3</m:b></m:Add>' in seen.body
    assert SOAP11.encode() in seen.body
    definition = platform["s"].control.get(
        f"{DEVPORTAL}/apis/{platform['calc11']}/swagger", headers=platform["auth"]
    )
    assert set(definition.json()["paths"]) == {"/Add", "/Divide", "/Ping"}


def test_a_fault_is_json_and_500_a_broken_answer_502_a_stray_field_400(platform: dict[str, Any]) -> None:
    fault = _call(platform, "/soapcalc/1.0/Divide", {"a": 1, "b": 0})
    assert fault.status_code == 500
    assert fault.json() == {"Fault": {"faultcode": "env:Client", "faultstring": "Division by zero"}}
    broken = _call(platform, "/soapcalc/1.0/Add", {"a": NOT_XML_TRIGGER, "b": 1})
    assert broken.status_code == 502
    assert broken.json()["code"] == "101500"
    stray = _call(platform, "/soapcalc/1.0/Add", {"a": 1, "c": 1})
    assert stray.status_code == 400
    assert "c: not a field of Add" in stray.json()["description"]


def test_a_soap_12_binding_is_called_in_soap_12(platform: dict[str, Any], service: SoapService) -> None:
    r = _call(platform, "/soapcalc12/1.0/Divide", {"a": 9, "b": 2})
    assert r.status_code == 200, r.text
    assert r.json() == {"DivideResponse": {"result": 4.5}}
    seen = service.requests[-1]
    assert seen.headers["content-type"] == (
        'application/soap+xml; charset=utf-8; action="http://example.com/calc/Divide"'
    )
    assert "soapaction" not in seen.headers
    assert SOAP12.encode() in seen.body
    fault = _call(platform, "/soapcalc12/1.0/Divide", {"a": 9, "b": 0})
    assert (fault.status_code, fault.json()["Fault"]["faultcode"]) == (500, "env:Sender")


def test_an_edited_resource_policy_changes_the_envelope(
    platform: dict[str, Any], service: SoapService
) -> None:
    s: Standalone = platform["s"]
    auth, api_id = platform["auth"], platform["calc11"]
    url = f"{PUBLISHER}/apis/{api_id}/resource-policies"
    add = s.control.get(url, params={"sequenceType": "in", "resourcePath": "Add"}, headers=auth).json()[
        "list"
    ][0]
    content = (
        add["content"]
        .replace("fields: a, b", "fields: b, a")
        .replace("soapAction: http://example.com/calc/Add", "soapAction: urn:sum")
    )
    edited = s.control.put(f"{url}/{add['id']}", json={**add, "content": content}, headers=auth)
    assert edited.status_code == 200, edited.text
    _deploy(s, auth, api_id)
    r = eventually(
        lambda: s.gateway.post("/soapcalc/1.0/Add", json={"a": 4, "b": 1}, headers=platform["call"]),
        lambda r: service.requests[-1].headers.get("soapaction") == '"urn:sum"',
    )
    assert r.status_code == 200, r.text
    assert r.json()["AddResponse"]["result"] == 5
    assert b"<m:b>1</m:b><m:a>4</m:a>" in service.requests[-1].body


def test_an_api_product_keeps_its_soap_members_calls(platform: dict[str, Any], service: SoapService) -> None:
    r = _call(platform, "/soapbundle/1.0/Add", {"a": 20, "b": 22})
    assert r.status_code == 200, r.text
    assert r.json()["AddResponse"]["result"] == 42
    assert service.requests[-1].headers["soapaction"] == '"http://example.com/calc/Add"'


def test_an_operation_without_input_is_a_get(platform: dict[str, Any], service: SoapService) -> None:
    s: Standalone = platform["s"]
    r = eventually(
        lambda: s.gateway.get("/soapcalc/1.0/Ping", headers=platform["call"]),
        lambda r: r.status_code not in (401, 403, 404),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"PingResponse": {"status": "ok"}}
    assert b'<m:Ping xmlns:m="http://example.com/calc"></m:Ping>' in service.requests[-1].body
