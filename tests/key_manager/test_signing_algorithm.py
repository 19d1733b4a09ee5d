"""The signing algorithm of a tenant's access tokens follows its resident key manager in admin-api
(``signingAlgorithm``, carried by the key-managers events): ES256 tokens verify against the JWKS."""

from __future__ import annotations

from typing import Any

import jwt

from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from tests.key_manager.conftest import KeyManagerClient


async def _resident_signs_with(km: KeyManagerClient, algorithm: str | None, *, kind: str = "default") -> None:
    """What admin-api publishes when the tenant's resident key manager is changed."""
    data: dict[str, Any] = {"id": "km-1", "name": "Resident Key Manager", "type": kind}
    if algorithm is not None:
        data["signingAlgorithm"] = algorithm
    await km.bus.publish(Topic.KEY_MANAGERS, new_event("admin-api", "key-manager.updated", "km-1", data))
    await km.bus.drain()


async def _client_token(km: KeyManagerClient) -> str:
    client = await km.register(grants="client_credentials")
    r = await km.token(client, grant_type="client_credentials")
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def test_an_es256_resident_key_manager_issues_tokens_its_jwks_verifies(km: KeyManagerClient) -> None:
    await _resident_signs_with(km, "ES256")
    client = await km.register(grants="client_credentials")
    token = (await km.token(client, grant_type="client_credentials")).json()["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    published = {k["kid"]: k for k in (await km.jwks())["keys"]}
    assert (published[header["kid"]]["kty"], published[header["kid"]]["alg"]) == ("EC", "ES256")
    claims = jwt.decode(
        token,
        key=jwt.PyJWK(published[header["kid"]]).key,
        algorithms=["ES256"],
        audience=client["clientId"],
        issuer="https://localhost:9443/oauth2/token",
    )
    assert claims["tenant"] == "carbon.super"
    r = await km.http.post(
        "/oauth2/introspect", data={"token": token}, auth=(client["clientId"], client["clientSecret"])
    )
    assert r.json()["active"] is True


async def test_only_the_resident_key_managers_algorithm_chooses_and_rs256_is_the_default(
    km: KeyManagerClient,
) -> None:
    await _resident_signs_with(km, "ES256", kind="Keycloak")
    assert jwt.get_unverified_header(await _client_token(km))["alg"] == "RS256"
    await _resident_signs_with(km, "ES256")
    assert jwt.get_unverified_header(await _client_token(km))["alg"] == "ES256"
    await _resident_signs_with(km, None)
    assert jwt.get_unverified_header(await _client_token(km))["alg"] == "RS256"
