"""SOAP APIs from WSDL documents."""

from __future__ import annotations

import json

from tests.publisher_api.conftest import BASE, Publisher

WSDL = b"""<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" name="Calc">
  <service name="CalcService">
    <port name="CalcPort" binding="tns:CalcBinding"><soap:address location="http://calc.example.com/soap"/></port>
  </service>
</definitions>"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><definitions>&b;</definitions>"""


async def test_validate_wsdl_summarises_a_wsdl_and_refuses_entities(publisher: Publisher) -> None:
    ok = await publisher.client.post(
        f"{BASE}/apis/validate-wsdl", files={"file": ("c.wsdl", WSDL, "text/xml")}, headers=publisher.auth()
    )
    assert ok.json() == {
        "isValid": True,
        "wsdlInfo": {
            "version": "1.1",
            "endpoints": [{"name": "CalcPort", "location": "http://calc.example.com/soap"}],
        },
    }
    bad = await publisher.client.post(
        f"{BASE}/apis/validate-wsdl", files={"file": ("b.wsdl", BOMB, "text/xml")}, headers=publisher.auth()
    )
    assert bad.json()["isValid"] is False


async def test_import_wsdl_makes_a_soap_api_whose_wsdl_can_be_read_and_replaced(publisher: Publisher) -> None:
    properties = {"name": "Calc", "context": "/calc", "version": "1.0"}
    created = await publisher.client.post(
        f"{BASE}/apis/import-wsdl",
        files={"file": ("c.wsdl", WSDL, "text/xml")},
        data={"additionalProperties": json.dumps(properties), "implementationType": "SOAP"},
        headers=publisher.auth(),
    )
    assert created.status_code == 201, created.text
    api = created.json()
    assert (api["type"], api["operations"][0]["verb"]) == ("SOAP", "POST")
    assert api["endpointConfig"]["production_endpoints"]["url"] == "http://calc.example.com/soap"
    wsdl = await publisher.client.get(f"{BASE}/apis/{api['id']}/wsdl", headers=publisher.auth())
    assert b"CalcService" in wsdl.content
    info = await publisher.client.get(f"{BASE}/apis/{api['id']}/wsdl-info", headers=publisher.auth())
    assert (info.json()["type"], info.json()["version"]) == ("WSDL", "1.1")
    replaced = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/wsdl",
        files={"file": ("c.wsdl", WSDL.replace(b"CalcService", b"Calc2"), "text/xml")},
        headers=publisher.auth(),
    )
    assert replaced.status_code == 200
    assert (
        b"Calc2"
        in (await publisher.client.get(f"{BASE}/apis/{api['id']}/wsdl", headers=publisher.auth())).content
    )
    refused = await publisher.client.put(
        f"{BASE}/apis/{api['id']}/wsdl", files={"file": ("x", b"<a/>", "text/xml")}, headers=publisher.auth()
    )
    assert refused.status_code == 400
    plain = await publisher.create_api()
    assert (
        await publisher.client.get(f"{BASE}/apis/{plain['id']}/wsdl", headers=publisher.auth())
    ).status_code == 404
