"""The gateway in FIPS mode (APIM_CRYPTO_PROVIDER=fips): tokens signed with an algorithm or a key
FIPS does not approve are refused with 401 900901 and the reason; RS256 tokens still pass."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from apim_common import crypto_policy
from apim_common.events.topics import Topic
from apim_gateway.policies.base import PolicyConfigError
from apim_gateway.policies.builtin.backend_jwt import BackendJwt
from apim_key_manager.keys import crypto
from tests.gateway.conftest import CP, Harness, resident_key_manager
from tests.support.fips import default_policy_after
from tests.support.tokens import TEST_ISSUER

__all__ = ["default_policy_after"]

ECHO = "/pets/1.0.0/echo/1"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"crypto_provider": "fips"}


def _claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": TEST_ISSUER,
        "sub": "alice@carbon.super",
        "azp": "client-1",
        "scope": "default",
        "tenant": "carbon.super",
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "token_type": "Bearer",
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_gateway_in_fips_mode_says_so_in_health_and_takes_rs256_tokens(harness: Harness) -> None:
    assert (await harness.client.get("/health")).json()["cryptoProvider"] == "fips"
    accepted = await harness.client.get(ECHO, headers=harness.bearer())
    assert accepted.status_code == 200, accepted.text


async def test_an_eddsa_token_is_refused_in_fips_mode(harness: Harness) -> None:
    header = {"alg": "EdDSA", "kid": harness.tokens.kid, "typ": "JWT"}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}.{_b64(b'x' * 64)}"
    refused = await harness.client.get(ECHO, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "900901"
    assert "'EdDSA' is not allowed in FIPS mode" in refused.json()["description"]


async def test_a_token_of_a_1024_bit_jwks_key_is_refused_in_fips_mode(harness: Harness) -> None:
    weak = crypto.Signer("weak", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    jwks = {"keys": [crypto.public_jwk(weak.key, "weak")]}
    harness.control_plane.jwks["/weak/jwks"] = jwks
    await harness.publish(
        Topic.KEY_MANAGERS,
        "key-manager.updated",
        resident_key_manager(certificates={"type": "JWKS", "value": f"{CP}/weak/jwks"}),
    )
    refused = await harness.client.get(ECHO, headers={"Authorization": f"Bearer {weak.sign(_claims())}"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "900901"


def test_an_unsigned_backend_jwt_is_refused_when_compiled_in_fips_mode() -> None:
    crypto_policy.activate(crypto_policy.CryptoProvider.FIPS)
    with pytest.raises(PolicyConfigError, match="'NONE' is not allowed in FIPS mode"):
        BackendJwt({"signingAlgorithm": "NONE"})
    assert BackendJwt({"signingAlgorithm": "RS256"}).settings["signingAlgorithm"] == "RS256"
