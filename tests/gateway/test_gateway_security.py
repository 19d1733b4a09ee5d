"""Authentication per the API's security scheme: OAuth2 JWTs from any allowed key manager, API keys."""

from __future__ import annotations

import time
from typing import Any

from apim_common.events.topics import Topic
from tests.gateway.conftest import CP, RESIDENT, Harness, pets_api, resident_key_manager
from tests.support.tokens import TokenFactory


async def test_no_credentials_is_900902(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1")
    assert r.status_code == 401
    assert r.json()["code"] == "900902"


async def test_a_token_signed_by_an_unknown_key_is_900901(harness: Harness) -> None:
    forged = TokenFactory().mint("alice", client_id="client-1")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_a_token_from_an_issuer_that_is_no_key_manager_is_900901(harness: Harness) -> None:
    other = TokenFactory(issuer="https://elsewhere.example/token")
    r = await harness.client.get(
        "/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {other.mint('alice', client_id='client-1')}"}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_a_garbage_token_is_900901(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.json()["code"] == "900901"


async def test_an_expired_token_is_900903(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(expires_in=-120))
    assert r.status_code == 401
    assert r.json()["code"] == "900903"


async def test_a_verified_token_is_verified_once_and_then_served_from_the_cache(harness: Harness) -> None:
    headers = harness.bearer()
    before = harness.gateway.verifier.verifications
    for _ in range(3):
        assert (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).status_code == 200
    assert harness.gateway.verifier.verifications == before + 1


async def test_an_unverified_token_is_never_cached(harness: Harness) -> None:
    forged = TokenFactory().mint("alice", client_id="client-1")
    await harness.client.get("/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {forged}"})
    assert forged not in harness.gateway.verifier._cache


async def test_a_none_resource_needs_no_credentials(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/open")
    assert r.status_code == 200


def _api_key(tokens: TokenFactory, context: str = "/pets", version: str = "1.0.0", **extra: Any) -> str:
    return tokens.mint(
        "alice",
        client_id="",
        token_type="apiKey",
        keytype="PRODUCTION",
        application={"uuid": "app-1", "name": "PetShop", "owner": "alice", "tier": "Unlimited"},
        subscribedAPIs=[{"name": "Pets", "context": context, "version": version, "subscriptionTier": "Gold"}],
        **extra,
    )


async def test_an_api_key_in_the_apis_own_header_is_accepted(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"X-API-Key": _api_key(harness.tokens)})
    assert r.status_code == 200
    assert "x-api-key" not in r.json()["headers"]


async def test_an_api_key_in_the_query_is_accepted(harness: Harness) -> None:
    r = await harness.client.get(f"/pets/1.0.0/echo/1?X-API-Key={_api_key(harness.tokens)}")
    assert r.status_code == 200


async def test_an_api_key_for_another_api_is_900908(harness: Harness) -> None:
    key = _api_key(harness.tokens, context="/other")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"X-API-Key": key})
    assert r.status_code == 403
    assert r.json()["code"] == "900908"


async def test_an_access_token_is_not_an_api_key(harness: Harness) -> None:
    token = harness.tokens.mint("alice", client_id="client-1")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"X-API-Key": token})
    assert r.json()["code"] == "900901"


async def test_an_api_key_is_not_an_access_token(harness: Harness) -> None:
    r = await harness.client.get(
        "/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {_api_key(harness.tokens)}"}
    )
    assert r.json()["code"] == "900901"


async def test_an_api_key_on_an_oauth_only_api_is_900902(harness: Harness) -> None:
    api = pets_api(harness.backend_port, securityScheme=["oauth2"])
    harness.gateway.state.deploy(api)
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"X-API-Key": _api_key(harness.tokens)})
    assert r.json()["code"] == "900902"


async def test_a_third_party_key_manager_with_its_own_consumer_key_claim_is_trusted(harness: Harness) -> None:
    third = TokenFactory(issuer="https://idp.example/oauth")
    harness.control_plane.jwks["/idp/jwks"] = third.jwks()
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.created",
        {
            "id": "km-idp",
            "name": "IdP",
            "type": "custom",
            "issuer": "https://idp.example/oauth",
            "certificates": {"type": "JWKS", "value": f"{CP}/idp/jwks"},
            "consumerKeyClaim": "cid",
            "enabled": True,
        },
    )
    await harness.publish(
        Topic.KEYS,
        "key-mapping.created",
        {"applicationId": "app-1", "keyType": "PRODUCTION", "keyManager": "IdP", "consumerKey": "idp-app"},
    )
    token = third.mint("alice", client_id="unrelated", cid="idp-app")
    r = await harness.client.get("/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_a_key_manager_with_an_audience_refuses_tokens_for_another_audience(harness: Harness) -> None:
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.updated",
        resident_key_manager(additionalProperties={"audience": "https://gateway.example"}),
    )
    refused = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert refused.json()["code"] == "900901"
    accepted = await harness.client.get(
        "/pets/1.0.0/echo/1", headers=harness.bearer(aud=["client-1", "https://gateway.example"])
    )
    assert accepted.status_code == 200


async def _tenant_api(harness: Harness) -> None:
    # Open to every tenant: app-1 of carbon.super subscribes to it (subscription availability).
    api = pets_api(
        harness.backend_port,
        id="api-acme",
        tenant="acme.com",
        context="/t/acme.com/shop",
        subscriptionAvailability="ALL_TENANTS",
    )
    harness.gateway.state.deploy(api)
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {
            "subscriptionId": "sub-acme",
            "applicationId": "app-1",
            "apiId": "api-acme",
            "throttlingPolicy": "Gold",
        },
        tenant="acme.com",
    )


async def test_a_key_manager_of_another_tenant_is_not_trusted(harness: Harness) -> None:
    await _tenant_api(harness)
    r = await harness.client.get("/t/acme.com/shop/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_a_global_key_manager_is_trusted_in_every_tenant(harness: Harness) -> None:
    await _tenant_api(harness)
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.updated",
        resident_key_manager(**{"global": True, "id": "km-global", "name": RESIDENT}),
    )
    r = await harness.client.get("/t/acme.com/shop/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 200


async def test_basic_auth_credentials_are_refused_as_invalid(harness: Harness) -> None:
    api = pets_api(harness.backend_port, securityScheme=["basic_auth"])
    harness.gateway.state.deploy(api)
    r = await harness.client.get("/pets/1.0.0/echo/1", auth=("alice", "secret"))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_a_token_not_yet_valid_is_900901(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(nbf=int(time.time()) + 600))
    assert r.json()["code"] == "900901"
