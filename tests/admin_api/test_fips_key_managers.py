"""Key managers registered in FIPS mode: the keys they sign with are read (a PEM) or fetched (a
JWKS, through the outbound guard, from a real local server) and a refused one answers 400."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from apim_common.crypto_policy import CryptoPolicy
from apim_common.outbound import OutboundPolicy, guarded_client
from tests.admin_api.harness import Admin
from tests.support.fips import fips_policy
from tests.support.local_http import Canned, local_server

__all__ = ["fips_policy"]


def _b64(number: int) -> str:
    return (
        base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
    )


def _jwks(bits: int) -> bytes:
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key().public_numbers()
    key = {"kty": "RSA", "kid": f"key-{bits}", "use": "sig", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    return json.dumps({"keys": [key]}).encode()


def _key_manager(name: str, certificates: dict[str, str]) -> dict[str, object]:
    return {
        "name": name,
        "type": "okta",
        "issuer": f"https://{name}.example.com",
        "enableSelfValidationJWT": True,
        "certificates": certificates,
    }


async def _register_with_jwks(admin: Admin, name: str, jwks: bytes) -> tuple[int, str]:
    async with (
        local_server({"/keys": Canned(body=jwks, headers={"Content-Type": "application/json"})}) as server,
        guarded_client(OutboundPolicy(allow_loopback=True)) as outbound,
    ):
        admin.app.state.outbound = outbound
        r = await admin.post(
            "/key-managers", json=_key_manager(name, {"type": "JWKS", "value": server.url("/keys")})
        )
    return r.status_code, r.text


async def test_a_key_manager_whose_jwks_holds_a_1024_bit_key_is_refused_in_fips_mode(
    admin: Admin, fips_policy: CryptoPolicy
) -> None:
    status, text = await _register_with_jwks(admin, "legacy", _jwks(1024))
    assert status == 400, text
    assert "RSA key of 1024 bits" in text
    assert "key-1024" in text


async def test_a_key_manager_whose_jwks_holds_a_2048_bit_key_is_accepted_in_fips_mode(
    admin: Admin, fips_policy: CryptoPolicy
) -> None:
    status, text = await _register_with_jwks(admin, "modern", _jwks(2048))
    assert status == 201, text


async def test_a_key_manager_with_an_ed25519_pem_is_refused_in_fips_mode(
    admin: Admin, fips_policy: CryptoPolicy
) -> None:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    r = await admin.post(
        "/key-managers", json=_key_manager("edwards", {"type": "PEM", "value": pem.decode()})
    )
    assert r.status_code == 400, r.text
    assert "Ed25519 key" in r.text


async def test_health_shows_the_crypto_provider(admin: Admin) -> None:
    assert (await admin.client.get("/health")).json()["cryptoProvider"] == "default"
