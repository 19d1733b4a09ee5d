"""The crypto policy (apim_common.crypto_policy): what FIPS mode refuses and allows, one rule each.

The refusals are the application's own; none needs a FIPS build of OpenSSL.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from apim_common import crypto_policy
from apim_common.crypto_policy import DEFAULT_POLICY, FIPS_POLICY, CryptoPolicyError
from tests.support.certificates import TestAuthority

FIPS = FIPS_POLICY


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _rsa_jwk(key: rsa.RSAPrivateKey, kid: str = "k1") -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "n": _b64(numbers.n), "e": _b64(numbers.e)}


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def rsa_2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_e3() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=3, key_size=2048)


def test_default_policy_refuses_nothing(rsa_1024: rsa.RSAPrivateKey) -> None:
    DEFAULT_POLICY.check_key(rsa_1024)
    DEFAULT_POLICY.check_key(ed25519.Ed25519PrivateKey.generate())
    DEFAULT_POLICY.check_jws_algorithm("none")
    DEFAULT_POLICY.check_cipher("ChaCha20-Poly1305")
    DEFAULT_POLICY.check_hmac_key(b"short")
    assert DEFAULT_POLICY.tls_ciphers is None


def test_fips_refuses_an_rsa_key_under_2048_bits(rsa_1024: rsa.RSAPrivateKey) -> None:
    with pytest.raises(CryptoPolicyError, match="RSA key of 1024 bits"):
        FIPS.check_key(rsa_1024.public_key())


def test_fips_refuses_an_rsa_exponent_other_than_65537(rsa_e3: rsa.RSAPrivateKey) -> None:
    with pytest.raises(CryptoPolicyError, match="public exponent 3"):
        FIPS.check_key(rsa_e3)


def test_fips_refuses_a_weak_rsa_key_in_a_jwks(rsa_1024: rsa.RSAPrivateKey) -> None:
    with pytest.raises(CryptoPolicyError, match=r"1024 bits.*kid 'weak'"):
        FIPS.check_jwk(_rsa_jwk(rsa_1024, "weak"))


def test_fips_refuses_an_ed25519_key_and_an_okp_jwk() -> None:
    with pytest.raises(CryptoPolicyError, match="Ed25519 key"):
        FIPS.check_key(ed25519.Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CryptoPolicyError, match="Ed25519 key"):
        FIPS.check_jwk({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})


def test_fips_refuses_an_x25519_key() -> None:
    with pytest.raises(CryptoPolicyError, match="X25519 key"):
        FIPS.check_key(x25519.X25519PrivateKey.generate())


def test_fips_refuses_an_ec_key_off_the_nist_curves() -> None:
    with pytest.raises(CryptoPolicyError, match="secp256k1"):
        FIPS.check_key(ec.generate_private_key(ec.SECP256K1()))


@pytest.mark.parametrize("alg", ["EdDSA", "none", "RS1", "HS1", "ES256K"])
def test_fips_refuses_a_jws_algorithm(alg: str) -> None:
    with pytest.raises(CryptoPolicyError, match=f"JWS algorithm '{alg}'"):
        FIPS.check_jws_algorithm(alg)


@pytest.mark.parametrize(
    "alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
)
def test_fips_allows_rsa_pss_and_ecdsa_with_sha2(alg: str) -> None:
    FIPS.check_jws_algorithm(alg)


def test_fips_allows_approved_keys(rsa_2048: rsa.RSAPrivateKey) -> None:
    FIPS.check_key(rsa_2048)
    FIPS.check_jwk(_rsa_jwk(rsa_2048))
    for curve in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()):
        FIPS.check_key(ec.generate_private_key(curve).public_key())


def test_fips_allows_hs256_with_a_32_byte_key_only() -> None:
    FIPS.check_jws_algorithm("HS256", b"k" * 32)
    FIPS.check_jws_algorithm("HS512", b"k" * 64)
    with pytest.raises(CryptoPolicyError, match="HS256 with a key of 16 bytes"):
        FIPS.check_jws_algorithm("HS256", b"k" * 16)


def test_fips_refuses_an_hmac_key_under_112_bits() -> None:
    FIPS.check_hmac_key(b"k" * 14)
    with pytest.raises(CryptoPolicyError, match="HMAC key of 104 bits"):
        FIPS.check_hmac_key(b"k" * 13)


@pytest.mark.parametrize(
    ("alg", "enc", "refused"),
    [
        ("RSA1_5", "A256GCM", "RSA1_5"),
        ("RSA-OAEP", "A256GCM", "RSA-OAEP"),
        ("dir", "A256CBC-HS512", "A256CBC"),
    ],
)
def test_fips_refuses_jwe_rsa1_5_and_sha1_oaep(alg: str, enc: str, refused: str) -> None:
    with pytest.raises(CryptoPolicyError, match=refused):
        FIPS.check_jwe(alg, enc)


def test_fips_allows_jwe_with_oaep_sha256_and_aes_gcm() -> None:
    FIPS.check_jwe("RSA-OAEP-256", "A256GCM")
    FIPS.check_jwe("dir", "A256GCM")  # how apim_common.sealed seals


@pytest.mark.parametrize("cipher", ["ChaCha20-Poly1305", "3DES", "TripleDES"])
def test_fips_refuses_chacha20_and_3des(cipher: str) -> None:
    with pytest.raises(CryptoPolicyError, match="cipher"):
        FIPS.check_cipher(cipher)


def test_fips_allows_aes_gcm_hkdf_and_pbkdf2_with_sha256() -> None:
    FIPS.check_cipher("AES-GCM")
    FIPS.check_kdf("HKDF", "SHA-256")
    FIPS.check_kdf("PBKDF2", "sha256")
    # and they run: the primitives the platform derives and seals with
    key = HKDF(algorithm=SHA256(), length=32, salt=b"s", info=b"i").derive(b"secret")
    assert AESGCM(key).decrypt(b"n" * 12, AESGCM(key).encrypt(b"n" * 12, b"x", None), None) == b"x"
    assert len(PBKDF2HMAC(algorithm=SHA256(), length=32, salt=b"s" * 16, iterations=1000).derive(b"p")) == 32


def test_fips_refuses_sha1_and_md5_in_kdfs_and_signatures() -> None:
    for name in ("sha1", "SHA-1", "md5"):
        with pytest.raises(CryptoPolicyError, match="hash"):
            FIPS.check_hash(name)
    with pytest.raises(CryptoPolicyError, match="scrypt"):
        FIPS.check_kdf("scrypt", "SHA-256")


def test_fips_client_context_needs_tls_1_2_and_aead_suites() -> None:
    context = FIPS.client_context()
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    tls12 = [c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12
    assert all("GCM" in name and name.startswith(("ECDHE", "DHE")) for name in tls12)


def test_fips_raises_a_lowered_tls_floor_and_refuses_a_context_capped_below_1_2() -> None:
    lowered = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    capped = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings():  # setting a version below 1.2 is itself deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        lowered.minimum_version = ssl.TLSVersion.TLSv1
        capped.maximum_version = ssl.TLSVersion.TLSv1_1
    assert FIPS.harden(lowered).minimum_version is ssl.TLSVersion.TLSv1_2
    with pytest.raises(CryptoPolicyError, match="TLSv1_1"):
        FIPS.harden(capped)
    with pytest.raises(CryptoPolicyError, match="TLSv1_1"):
        FIPS.check_tls_version(ssl.TLSVersion.TLSv1_1)


def test_fips_listener_ciphers_are_aead_only() -> None:
    assert FIPS.tls_ciphers == crypto_policy.FIPS_TLS_CIPHERS
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers(FIPS.tls_ciphers)
    assert all(
        "CHACHA" not in c["name"] and "CBC" not in c["name"]
        for c in context.get_ciphers()
        if c["protocol"] == "TLSv1.2"
    )


def test_the_policy_in_force_follows_the_setting() -> None:
    try:
        assert crypto_policy.activate("fips") is FIPS
        assert crypto_policy.active().fips
    finally:
        crypto_policy.activate("default")
    assert not crypto_policy.active().fips


async def _handshake(server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> str:
    """The cipher a real TLS handshake over loopback agrees on; an error when there is none."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context)
        cipher = writer.get_extra_info("cipher")[0]
        writer.close()
        return str(cipher)
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture(scope="module")
def authority() -> TestAuthority:
    return TestAuthority()


def _server(authority: TestAuthority, tmp_path: Path, ciphers: str) -> ssl.SSLContext:
    certfile, keyfile = authority.issue("localhost", server=True).write(tmp_path, "server")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers)
    return context


def _client(authority: TestAuthority, context: ssl.SSLContext) -> ssl.SSLContext:
    context.load_verify_locations(cadata=authority.ca.pem)
    return context


async def test_fips_outbound_tls_refuses_a_server_with_only_non_aead_suites(
    authority: TestAuthority, tmp_path: Path
) -> None:
    server = _server(authority, tmp_path, "ECDHE-ECDSA-AES128-SHA256")
    # The default client takes the CBC suite; the FIPS client has none in common with it.
    assert await _handshake(server, _client(authority, DEFAULT_POLICY.client_context())) == (
        "ECDHE-ECDSA-AES128-SHA256"
    )
    with pytest.raises((ssl.SSLError, ConnectionResetError)):  # the peer ends the handshake
        await _handshake(server, _client(authority, FIPS.client_context()))


async def test_fips_listener_suites_refuse_a_client_offering_only_non_aead_suites(
    authority: TestAuthority, tmp_path: Path
) -> None:
    assert FIPS.tls_ciphers is not None
    server = _server(authority, tmp_path, FIPS.tls_ciphers)
    cbc_client = _client(authority, ssl.create_default_context())
    cbc_client.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc_client.set_ciphers("ECDHE-ECDSA-AES128-SHA256")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):  # the peer ends the handshake
        await _handshake(server, cbc_client)
    assert "GCM" in await _handshake(server, _client(authority, FIPS.client_context()))
