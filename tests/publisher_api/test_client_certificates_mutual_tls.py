"""Client certificates for mutual TLS: what an upload must be, and how a revision carries them."""

from __future__ import annotations

from typing import Any

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_products import create_product, product_body, two_apis
from tests.support.certificates import Issued, TestAuthority

AUTHORITY = TestAuthority()


async def _upload(publisher: Publisher, api_id: str, issued: Issued, alias: str, tier: str = "Gold") -> Any:
    return await publisher.client.post(
        f"{BASE}/apis/{api_id}/client-certificates",
        files={"certificate": (f"{alias}.crt", issued.pem.encode(), "application/x-pem-file")},
        data={"alias": alias, "tier": tier},
        headers=publisher.auth(),
    )


async def _artifact(publisher: Publisher, revision_id: str) -> dict[str, Any]:
    response = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision_id}", headers=publisher.internal()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_revision_carries_the_client_certificates_it_was_taken_with(publisher: Publisher) -> None:
    api = await publisher.create_api({"securityScheme": ["mutualssl"]})
    first = AUTHORITY.issue("orders-client")
    assert (await _upload(publisher, api["id"], first, "orders")).status_code == 201
    revision = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], revision["id"])
    assert (await _upload(publisher, api["id"], AUTHORITY.issue("later"), "later")).status_code == 201

    carried = (await _artifact(publisher, revision["id"]))["clientCertificates"]

    assert carried == [first.artifact_entry("orders", tier="Gold")]
    assert "BEGIN" not in str(carried)  # fingerprints and validity, not the certificate itself
    later = await publisher.revise(api["id"])
    await publisher.deploy(api["id"], later["id"])
    aliases = [c["alias"] for c in (await _artifact(publisher, later["id"]))["clientCertificates"]]
    assert aliases == ["later", "orders"]


async def test_an_expired_client_certificate_is_refused(publisher: Publisher) -> None:
    api = await publisher.create_api({"securityScheme": ["mutualssl"]})
    response = await _upload(publisher, api["id"], AUTHORITY.expired("old"), "old")
    assert response.status_code == 400
    assert "expired" in response.json()["description"]


async def test_a_client_certificate_tier_must_be_a_subscription_tier(publisher: Publisher) -> None:
    api = await publisher.create_api({"securityScheme": ["mutualssl"]})
    response = await _upload(publisher, api["id"], AUTHORITY.issue("c"), "c", tier="NoSuchTier")
    assert response.status_code == 400
    assert "tier" in response.json()["description"]


async def test_an_api_products_client_certificates_reach_its_artifact(publisher: Publisher) -> None:
    product = await create_product(publisher)
    client = AUTHORITY.issue("lunch-client")
    assert (await _upload(publisher, product["id"], client, "lunch")).status_code == 201
    url = f"{BASE}/api-products/{product['id']}"
    revision = await publisher.client.post(
        f"{url}/revisions", json={"description": "r1"}, headers=publisher.auth()
    )
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    artifact = await _artifact(publisher, revision.json()["id"])
    assert artifact["clientCertificates"] == [client.artifact_entry("lunch", tier="Gold")]


async def test_a_mandatory_flag_without_its_scheme_is_refused(publisher: Publisher) -> None:
    for schemes, named in (
        (["oauth2", "mutualssl_mandatory"], "mutualssl_mandatory"),
        (["mutualssl", "oauth_basic_auth_api_key_mandatory"], "oauth_basic_auth_api_key_mandatory"),
    ):
        response = await publisher.client.post(
            f"{BASE}/apis",
            json={**PIZZA, "securityScheme": schemes},
            headers=publisher.auth(),
        )
        assert response.status_code == 400, schemes
        assert "securityScheme" in response.text
        assert named in response.text


async def test_a_product_with_a_mandatory_flag_without_its_scheme_is_refused(publisher: Publisher) -> None:
    pizza, drinks = await two_apis(publisher)
    body = product_body(pizza, drinks, securityScheme=["oauth2", "mutualssl_mandatory"])
    response = await publisher.client.post(f"{BASE}/api-products", json=body, headers=publisher.auth())
    assert response.status_code == 400
    assert "mutualssl_mandatory" in response.text
