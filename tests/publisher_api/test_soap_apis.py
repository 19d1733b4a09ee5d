"""SOAP APIs at the Publisher: a SOAPTOREST API is made only from a WSDL (test_soap_to_rest.py),
the WSDL travels with the API's events to the developer portal."""

from __future__ import annotations

import json

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_wsdl import WSDL


async def test_soap_to_rest_is_refused(publisher: Publisher) -> None:
    created = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "type": "SOAPTOREST"}, headers=publisher.auth()
    )
    assert created.status_code == 400
    assert "SOAPTOREST" in created.text
    assert "type SOAP" in created.text
    api = await publisher.create_api()
    updated = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json={**api, "type": "SOAPTOREST"}, headers=publisher.auth()
    )
    assert updated.status_code == 400
    assert "SOAPTOREST" in updated.text


async def test_imported_wsdl_travels_with_the_api_events(publisher: Publisher) -> None:
    imported = await publisher.client.post(
        f"{BASE}/apis/import-wsdl",
        files={"file": ("c.wsdl", WSDL, "text/xml")},
        data={"additionalProperties": json.dumps({"name": "Calc", "context": "/calc", "version": "1.0"})},
        headers=publisher.auth(),
    )
    assert imported.status_code == 201, imported.text
    await publisher.settle()
    updates = [e for e in publisher.of_type("api.updated") if e.data["id"] == imported.json()["id"]]
    assert updates
    assert "CalcService" in updates[-1].data["wsdlDefinition"]
