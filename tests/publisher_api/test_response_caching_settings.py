"""responseCachingEnabled and cacheTimeout in the Publisher: validated when written, carried to the
gateway in the deployed artifact of an API and of an API product."""

from __future__ import annotations

from typing import Any

import pytest

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_products import product_body, two_apis


@pytest.mark.parametrize("value", [0, -5, 86_401, "soon"])
async def test_an_api_cache_timeout_outside_one_second_to_a_day_is_400(
    publisher: Publisher, value: object
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, "responseCachingEnabled": True, "cacheTimeout": value},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert [e["message"] for e in response.json()["error"]] == ["cacheTimeout"]


@pytest.mark.parametrize("value", [0, 86_401])
async def test_a_product_cache_timeout_outside_one_second_to_a_day_is_400(
    publisher: Publisher, value: int
) -> None:
    pizza, drinks = await two_apis(publisher)
    response = await publisher.client.post(
        f"{BASE}/api-products",
        json=product_body(pizza, drinks, responseCachingEnabled=True, cacheTimeout=value),
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert [e["message"] for e in response.json()["error"]] == ["cacheTimeout"]


async def _deployed_artifacts(publisher: Publisher, url: str) -> list[dict[str, Any]]:
    revision = await publisher.client.post(
        f"{url}/revisions", json={"description": "r1"}, headers=publisher.auth()
    )
    assert revision.status_code == 201, revision.text
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    snapshot = await publisher.client.get(
        f"{BASE}/internal/snapshot", params={"environment": "Default"}, headers=publisher.internal()
    )
    artifacts: list[dict[str, Any]] = snapshot.json()["artifacts"]
    return artifacts


async def test_the_deployed_artifacts_carry_response_caching_of_an_api_and_a_product(
    publisher: Publisher,
) -> None:
    pizza, drinks = await two_apis(publisher)
    cached = await publisher.client.put(
        f"{BASE}/apis/{pizza['id']}",
        json={**pizza, "responseCachingEnabled": True, "cacheTimeout": 45},
        headers=publisher.auth(),
    )
    assert cached.status_code == 200, cached.text
    await _deployed_artifacts(publisher, f"{BASE}/apis/{pizza['id']}")
    created = await publisher.client.post(
        f"{BASE}/api-products",
        json=product_body(pizza, drinks, responseCachingEnabled=True, cacheTimeout=120),
        headers=publisher.auth(),
    )
    assert created.status_code == 201, created.text
    artifacts = await _deployed_artifacts(publisher, f"{BASE}/api-products/{created.json()['id']}")
    caching = {a["id"]: (a["responseCachingEnabled"], a["cacheTimeout"]) for a in artifacts}
    assert caching == {pizza["id"]: (True, 45), created.json()["id"]: (True, 120)}


async def test_response_caching_of_an_event_api_is_400(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, "type": "WS", "endpointConfig": None, "responseCachingEnabled": True},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert [e["message"] for e in response.json()["error"]] == ["responseCachingEnabled"]
