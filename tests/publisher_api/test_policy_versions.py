"""An attachment names a policy by name and version: both must match a policy the API may use."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, PIZZA, Publisher


async def test_an_attachment_naming_a_version_the_policy_does_not_have_is_refused(
    publisher: Publisher,
) -> None:
    attachment = {"policyName": "addHeader", "parameters": {"headerName": "X-Trace", "headerValue": "1"}}
    for where in ("apiPolicies", "operations"):
        wrong = {**attachment, "policyVersion": "v9"}
        body = (
            {"apiPolicies": {"request": [wrong]}}
            if where == "apiPolicies"
            else {"operations": [{**PIZZA["operations"][0], "operationPolicies": {"request": [wrong]}}]}  # type: ignore[index]
        )
        refused = await publisher.client.post(
            f"{BASE}/apis", json={**PIZZA, **body}, headers=publisher.auth()
        )
        assert refused.status_code == 400, refused.text
        assert "addHeader" in refused.json()["description"]
    right = {**attachment, "policyVersion": "v1"}
    created = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, "apiPolicies": {"request": [right]}}, headers=publisher.auth()
    )
    assert created.status_code == 201, created.text
