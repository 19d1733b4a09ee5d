"""A policy attaches only to the API types its spec names in supportedApiTypes."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_custom_policy_implementations import STAMP, upload

ADD_HEADER = {
    "policyName": "addHeader",
    "policyVersion": "v1",
    "parameters": {"headerName": "X-A", "headerValue": "1"},
}


async def test_a_policy_is_refused_on_an_api_type_its_spec_does_not_support(publisher: Publisher) -> None:
    # addHeader's spec supports HTTP APIs only.
    body = {**PIZZA, "type": "SOAP", "apiPolicies": {"request": [ADD_HEADER]}}
    refused = await publisher.client.post(f"{BASE}/apis", json=body, headers=publisher.auth())
    assert refused.status_code == 400, refused.text
    assert "supportedApiTypes" in [item["message"] for item in refused.json()["error"]]
    assert "not SOAP APIs" in refused.json()["description"]
    accepted = await publisher.client.post(
        f"{BASE}/apis", json={**body, "type": "HTTP"}, headers=publisher.auth()
    )
    assert accepted.status_code == 201, accepted.text


async def test_an_uploaded_spec_naming_an_unknown_api_type_is_refused(publisher: Publisher) -> None:
    refused = await upload(publisher, {**STAMP, "supportedApiTypes": ["HTTP", "FTP"]})
    assert refused.status_code == 400, refused.text
    assert "supportedApiTypes" in refused.text
