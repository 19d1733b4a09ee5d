"""SOAP APIs are a pass-through: the action and the SOAP content types reach the backend as sent,
and a SOAP fault comes back to the client as the backend wrote it."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.gateway.conftest import Harness, base_snapshot, pets_api
from tests.support.local_http import Canned, LocalServer, local_server

ENVELOPE_11 = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soap:Body><getMenu/></soap:Body></soap:Envelope>"
)
ENVELOPE_12 = (
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">'
    b"<env:Body><getMenu/></env:Body></env:Envelope>"
)
FAULT = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    b"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Oven is cold</faultstring></soap:Fault>"
    b"</soap:Body></soap:Envelope>"
)


@pytest.fixture
async def backend() -> AsyncIterator[LocalServer]:
    routes = {
        "/soap/menu": Canned(200, b"<ok/>", {"Content-Type": "text/xml; charset=utf-8"}),
        "/soap/fault": Canned(500, FAULT, {"Content-Type": "text/xml; charset=utf-8"}),
    }
    async with local_server(routes) as server:
        yield server


@pytest.fixture
def snapshot(backend: LocalServer) -> dict[str, dict[str, Any]]:
    data = copy.deepcopy(base_snapshot(backend.port))
    url = f"http://127.0.0.1:{backend.port}/soap"
    data["publisher"]["artifacts"].append(
        pets_api(
            backend.port,
            id="api-soap",
            name="PizzaSoap",
            context="/pizzasoap",
            isDefaultVersion=False,
            type="SOAP",
            revisionId="rev-soap",
            endpointConfig={
                "endpoint_type": "http",
                "production_endpoints": {"url": url},
                "sandbox_endpoints": {"url": url},
            },
            operations=[{"verb": "POST", "target": "/*", "authType": "Any"}],
        )
    )
    data["devportal"]["subscriptions"].append(
        {
            "subscriptionId": "sub-soap",
            "applicationId": "app-1",
            "apiId": "api-soap",
            "throttlingPolicy": "Gold",
            "status": "UNBLOCKED",
        }
    )
    return data


async def test_soap_action_and_content_type_reach_the_backend(harness: Harness, backend: LocalServer) -> None:
    soap11 = await harness.client.post(
        "/pizzasoap/1.0.0/menu",
        content=ENVELOPE_11,
        headers={
            **harness.bearer(),
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '"urn:getMenu"',
        },
    )
    assert soap11.status_code == 200
    assert soap11.headers["content-type"] == "text/xml; charset=utf-8"
    soap12 = await harness.client.post(
        "/pizzasoap/1.0.0/menu",
        content=ENVELOPE_12,
        headers={
            **harness.bearer(),
            "Content-Type": 'application/soap+xml; charset=utf-8; action="urn:getMenu"',
        },
    )
    assert soap12.status_code == 200
    first, second = (head.decode("latin-1").lower() for head in backend.heads)
    assert backend.seen == ["/soap/menu", "/soap/menu"]
    assert 'soapaction: "urn:getmenu"' in first
    assert "content-type: text/xml; charset=utf-8" in first
    assert 'content-type: application/soap+xml; charset=utf-8; action="urn:getmenu"' in second


async def test_soap_fault_is_passed_back_unchanged(harness: Harness) -> None:
    r = await harness.client.post(
        "/pizzasoap/1.0.0/fault",
        content=ENVELOPE_11,
        headers={**harness.bearer(), "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:bake"'},
    )
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.content == FAULT
