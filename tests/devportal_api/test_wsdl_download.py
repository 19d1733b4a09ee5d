"""The developer portal serves a SOAP API's WSDL, as the Publisher's events carry it, with its
service addresses pointing at the gateway the API is deployed to."""

from __future__ import annotations

from apim_devportal.catalog.wsdl import through_gateway
from tests.devportal_api.conftest import BASE, Portal

WSDL = """<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" name="Calc">
  <service name="CalcService">
    <port name="CalcPort" binding="tns:CalcBinding"><soap:address location="http://calc.internal/soap"/></port>
    <port name="CalcPort12" binding="tns:Calc12"><soap12:address location='http://calc.internal/soap12'/></port>
  </service>
</definitions>"""


async def test_devportal_serves_the_wsdl_of_a_soap_api(portal: Portal) -> None:
    soap = await portal.publish_api(name="Calc", context="/calc", type="SOAP", wsdlDefinition=WSDL)
    stored = await portal.client.get(f"{BASE}/apis/{soap['id']}/wsdl")
    assert stored.status_code == 200
    assert stored.headers["content-type"].startswith("text/xml")
    assert stored.text == WSDL  # deployed nowhere: no gateway address to give
    await portal.publish(
        "deployments",
        "deployment.deployed",
        soap["id"],
        {"apiId": soap["id"], "revisionId": "r1", "environment": "Default", "vhost": "localhost"},
    )
    r = await portal.client.get(f"{BASE}/apis/{soap['id']}/wsdl", params={"environmentName": "Default"})
    assert r.status_code == 200
    assert "calc.internal" not in r.text
    assert r.text.count('location="https://localhost:8243/calc/1.0.0"') == 2
    assert 'name="CalcService"' in r.text
    elsewhere = await portal.client.get(f"{BASE}/apis/{soap['id']}/wsdl", params={"environmentName": "Edge"})
    assert elsewhere.status_code == 404
    rest = await portal.publish_api(name="Rest")
    missing = await portal.client.get(f"{BASE}/apis/{rest['id']}/wsdl")
    assert missing.status_code == 404


def test_wsdl_20_endpoint_addresses_point_at_the_gateway() -> None:
    wsdl20 = (
        '<description xmlns="http://www.w3.org/ns/wsdl"><service name="S">'
        '<endpoint name="E" binding="tns:B" address="http://calc.internal/soap"/></service></description>'
    )
    rewritten = through_gateway(wsdl20, "https://gw/calc/1.0.0?a=1&b=2")
    assert 'address="https://gw/calc/1.0.0?a=1&amp;b=2"' in rewritten
    assert 'name="E" binding="tns:B"' in rewritten
