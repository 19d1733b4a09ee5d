"""``websubSubscriptionConfiguration``: a WebSub API's event signing, its secret sealed at rest,
masked in every view, kept when the mask comes back, and carried sealed to the gateway (whose hub
checks each event with it: tests/gateway/test_gateway_websub.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from apim_common.sealed import ENDPOINT_SECRETS, SecretBox, is_sealed
from apim_publisher.apis.models import API
from tests.publisher_api.conftest import BASE, PIZZA, Publisher

SECRET = "provider-s3cret"


def _websub(**config: Any) -> dict[str, Any]:
    return {
        "type": "WEBSUB",
        "operations": [{"verb": "SUBSCRIBE", "target": "/issues", "authType": "Any"}],
        "websubSubscriptionConfiguration": {
            "enable": True,
            "secret": SECRET,
            "signingAlgorithm": "SHA256",
            "signatureHeader": "X-Hub-Signature-256",
            **config,
        },
    }


async def test_signing_secret_is_sealed_masked_and_carried_to_the_gateway(publisher: Publisher) -> None:
    created = await publisher.create_api(_websub())
    assert created["websubSubscriptionConfiguration"]["secret"] == ""
    async with publisher.app.state.database.session() as session:
        api = (await session.execute(select(API).where(API.id == created["id"]))).scalar_one()
        stored = api.spec["websubSubscriptionConfiguration"]["secret"]
    assert is_sealed(stored)
    shown = (await publisher.client.get(f"{BASE}/apis/{created['id']}", headers=publisher.auth())).json()
    assert shown["websubSubscriptionConfiguration"] == {
        "enable": True,
        "secret": "",
        "signingAlgorithm": "SHA256",
        "signatureHeader": "X-Hub-Signature-256",
    }
    shown["description"] = "edited with the secret masked"
    updated = await publisher.client.put(f"{BASE}/apis/{created['id']}", json=shown, headers=publisher.auth())
    assert updated.status_code == 200, updated.text
    revision = await publisher.revise(created["id"])
    assert (await publisher.deploy(created["id"], revision["id"])).status_code == 201
    artifact = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    carried = artifact.json()["websubSubscriptionConfiguration"]
    box = SecretBox(publisher.app.state.settings.secret(), ENDPOINT_SECRETS)
    assert box.open(carried["secret"]) == SECRET
    assert carried["signatureHeader"] == "X-Hub-Signature-256"
    await publisher.settle()
    assert all(
        SECRET not in str(e.data) and "sealed:" not in str(e.data) for e in publisher.of_type("api.created")
    )


async def test_signing_without_a_secret_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_websub(secret="")}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert "websubSubscriptionConfiguration.secret" in response.text


async def test_signing_is_refused_on_an_api_that_is_not_websub(publisher: Publisher) -> None:
    body = {**_websub(), "type": "HTTP", "operations": [{"verb": "GET", "target": "/menu"}]}
    response = await publisher.client.post(f"{BASE}/apis", json={**PIZZA, **body}, headers=publisher.auth())
    assert response.status_code == 400
    assert "websubSubscriptionConfiguration" in response.text


async def test_an_unknown_signing_algorithm_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_websub(signingAlgorithm="MD5")}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert "signingAlgorithm" in response.text
