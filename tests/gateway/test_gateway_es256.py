"""Tokens of a key manager that signs ES256 (its signingAlgorithm), in the key manager's own format
and with its own signer: the gateway verifies them against the EC key of the JWKS, and refuses
that key manager's tokens signed with any other algorithm."""

from __future__ import annotations

import time
import uuid

from apim_common.events.topics import Topic
from apim_key_manager.keys import crypto
from tests.gateway.conftest import CP, Harness, resident_key_manager
from tests.support.tokens import TEST_ISSUER

ECHO = "/pets/1.0.0/echo/1"


def _es256_token(signer: crypto.Signer) -> str:
    now = int(time.time())
    claims = {
        "iss": TEST_ISSUER,
        "sub": "alice@carbon.super",
        "aud": "client-1",
        "azp": "client-1",
        "scope": "default",
        "tenant": "carbon.super",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "token_type": "Bearer",
    }
    return signer.sign(claims)


async def test_an_es256_key_manager_has_its_es256_tokens_accepted_and_no_others(harness: Harness) -> None:
    key = crypto.generate(crypto.ES256)
    signer = crypto.Signer(crypto.new_kid(), key, crypto.ES256)
    # The JWKS also holds the RSA key of the tokens the harness mints: only the algorithm refuses them.
    keys = [crypto.public_jwk(key, signer.kid, crypto.ES256), *harness.tokens.jwks()["keys"]]
    harness.control_plane.jwks["/es256/jwks"] = {"keys": keys}
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.updated",
        resident_key_manager(
            certificates={"type": "JWKS", "value": f"{CP}/es256/jwks"}, signingAlgorithm="ES256"
        ),
    )
    accepted = await harness.client.get(ECHO, headers={"Authorization": f"Bearer {_es256_token(signer)}"})
    assert accepted.status_code == 200, accepted.text
    refused = await harness.client.get(ECHO, headers=harness.bearer())
    assert refused.status_code == 401
    assert refused.json()["code"] == "900901"
    assert "ES256" in refused.json()["description"]
