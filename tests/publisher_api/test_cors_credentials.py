"""CORS may not send credentials to any origin: refused with 400 naming the field, wherever CORS
is configured (the API's corsConfiguration and the CORS policy)."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_policies import put_api

ANY_ORIGIN_WITH_CREDENTIALS = {
    "corsConfigurationEnabled": True,
    "accessControlAllowOrigins": ["https://app.example.com", "*"],
    "accessControlAllowCredentials": True,
}


def cors_policy(origins: str, credentials: str) -> dict[str, Any]:
    return {
        "policyName": "CORS",
        "policyVersion": "v1",
        "parameters": {"accessControlAllowOrigins": origins, "accessControlAllowCredentials": credentials},
    }


async def test_an_api_sending_credentials_to_any_origin_is_refused_naming_the_field(
    publisher: Publisher,
) -> None:
    r = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, "corsConfiguration": ANY_ORIGIN_WITH_CREDENTIALS},
        headers=publisher.auth(),
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"][0]["message"] == "corsConfiguration.accessControlAllowCredentials"
    assert "origins include *" in body["description"]


async def test_an_update_sending_credentials_to_any_origin_is_refused(publisher: Publisher) -> None:
    api = await publisher.create_api()
    r = await put_api(publisher, api, corsConfiguration=ANY_ORIGIN_WITH_CREDENTIALS)
    assert r.status_code == 400, r.text
    assert r.json()["error"][0]["message"] == "corsConfiguration.accessControlAllowCredentials"


async def test_credentials_to_named_origins_and_any_origin_without_credentials_are_accepted(
    publisher: Publisher,
) -> None:
    named = {**ANY_ORIGIN_WITH_CREDENTIALS, "accessControlAllowOrigins": ["https://app.example.com"]}
    assert (
        await publisher.client.post(
            f"{BASE}/apis", json={**PIZZA, "corsConfiguration": named}, headers=publisher.auth()
        )
    ).status_code == 201
    anonymous = {**ANY_ORIGIN_WITH_CREDENTIALS, "accessControlAllowCredentials": False}
    api = await publisher.create_api({"name": "Open", "context": "/open", "corsConfiguration": anonymous})
    assert api["corsConfiguration"]["accessControlAllowOrigins"][-1] == "*"


async def test_a_cors_policy_sending_credentials_to_any_origin_is_refused_naming_the_attribute(
    publisher: Publisher,
) -> None:
    api = await publisher.create_api()
    r = await put_api(publisher, api, apiPolicies={"request": [cors_policy("*", "true")]})
    assert r.status_code == 400, r.text
    assert r.json()["error"][0]["message"] == "accessControlAllowCredentials"
    assert "origins include *" in r.json()["description"]
    ok = await put_api(
        publisher, api, apiPolicies={"request": [cors_policy("https://app.example.com", "true")]}
    )
    assert ok.status_code == 200, ok.text
