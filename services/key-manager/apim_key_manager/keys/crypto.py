"""Compact JWS signing and checking with keys held as objects, so no token loads a key.

Access tokens are RS256 or ES256 (the tenant's resident key manager chooses; both keys are
published in the JWKS), API keys RS256; refresh tokens are HS256 under a key derived from
APIM_SECRET_KEY: only this service can read them, and no RS256/ES256 verifier (gateways, other
services) would ever take one for an access token.

``ALGORITHMS`` is the one table of what this service may sign with: a key of another kind, or a
token naming another algorithm, is refused wherever keys are loaded or tokens are checked. In FIPS
mode (``apim_common.crypto_policy``) every key loaded and every ``alg`` read is also held to it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwk

from apim_common.crypto_policy import CryptoPolicyError, active


class BadToken(Exception):
    """Not a token of ours: malformed, badly signed or signed by an unknown key."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def derive_key(secret: str, purpose: str) -> bytes:
    """32 bytes for one purpose, derived from the installation secret (HKDF-SHA256)."""
    active().check_kdf("HKDF", "SHA-256")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"apim-key-manager", info=purpose.encode())
    return hkdf.derive(secret.encode())


def fernet(secret: str, purpose: str) -> Fernet:
    """AES-128-CBC with HMAC-SHA256: approved primitives, kept in FIPS mode (decision 0025)."""
    active().check_cipher("AES-CBC")
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, purpose)))


def decrypt(box: Fernet, token: str) -> str:
    try:
        return box.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: APIM_SECRET_KEY differs from the one that encrypted it") from exc


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

RS256 = "RS256"
ES256 = "ES256"
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_P256_BYTES = 32


def _rsa_sign(key: PrivateKey, data: bytes) -> bytes:
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, _PKCS1, _SHA256)


def _rsa_verify(key: PublicKey, signature: bytes, data: bytes) -> None:
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signature, data, _PKCS1, _SHA256)


def _es256_sign(key: PrivateKey, data: bytes) -> bytes:
    """JWS wants ECDSA's r and s as two fixed 32-byte halves (RFC 7518 3.4), not DER."""
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(data, _ECDSA_SHA256))
    return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")


def _es256_verify(key: PublicKey, signature: bytes, data: bytes) -> None:
    assert isinstance(key, ec.EllipticCurvePublicKey)
    if len(signature) != 2 * _P256_BYTES:
        raise InvalidSignature
    r, s = int.from_bytes(signature[:_P256_BYTES], "big"), int.from_bytes(signature[_P256_BYTES:], "big")
    key.verify(encode_dss_signature(r, s), data, _ECDSA_SHA256)


@dataclass(frozen=True)
class Algorithm:
    """One JWS algorithm this service signs with: its key kind, how to make, sign and check."""

    name: str
    kty: str
    private_type: type[PrivateKey]
    public_type: type[PublicKey]
    sign: Callable[[PrivateKey, bytes], bytes]
    verify: Callable[[PublicKey, bytes, bytes], None]


ALGORITHMS: dict[str, Algorithm] = {
    RS256: Algorithm(RS256, "RSA", rsa.RSAPrivateKey, rsa.RSAPublicKey, _rsa_sign, _rsa_verify),
    ES256: Algorithm(
        ES256, "EC", ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey, _es256_sign, _es256_verify
    ),
}


def generate(algorithm: str, rsa_size: int = 2048) -> PrivateKey:
    active().check_jws_algorithm(algorithm)
    active().check_rsa(rsa_size, 65537)
    if algorithm == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=rsa_size)


def private_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_private_pem(pem: str, algorithm: str = RS256) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ALGORITHMS[algorithm].private_type):
        raise ValueError(f"the {algorithm} signing key is of another kind")
    active().check_key(key)
    return key


def load_public_pem(pem: str) -> PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("only P-256 EC public keys are accepted")
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("only RSA and EC P-256 public keys are accepted")
    active().check_key(key)
    return key


def published(key: PublicKey) -> tuple[str, PublicKey]:
    """A public key with the one algorithm it verifies."""
    return (ES256 if isinstance(key, ec.EllipticCurvePublicKey) else RS256), key


def public_jwk(key: PrivateKey, kid: str, algorithm: str = RS256) -> dict[str, Any]:
    document: dict[str, Any] = jwk.JWK.from_pyca(key.public_key()).export_public(as_dict=True)
    return {**document, "kid": kid, "use": "sig", "alg": algorithm}


def public_key_from_jwk(document: dict[str, Any]) -> PublicKey:
    algorithm = ALGORITHMS.get(str(document.get("alg") or RS256))
    key = jwk.JWK(**document).get_op_key("verify")
    if algorithm is None or not isinstance(key, algorithm.public_type):
        raise ValueError("only RS256 and ES256 keys are published")
    active().check_key(key)
    return key


# Built once: json.dumps with separators builds a new encoder on every call.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode


def _json(value: dict[str, Any]) -> bytes:
    return _encode_json(value).encode()


@dataclass
class Signer:
    """Signs compact JWS with one key; the header is encoded once per key, not per token."""

    kid: str
    key: PrivateKey
    algorithm: str = RS256
    typ: str = "JWT"
    _header: str = field(init=False)
    _sign: Callable[[PrivateKey, bytes], bytes] = field(init=False)

    def __post_init__(self) -> None:
        self._header = b64url(_json({"alg": self.algorithm, "typ": self.typ, "kid": self.kid})) + "."
        self._sign = ALGORITHMS[self.algorithm].sign

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = self._header + b64url(_json(claims))
        signature = self._sign(self.key, signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"


class HS256Codec:
    """Refresh tokens: signed and read by this service alone."""

    def __init__(self, key: bytes, typ: str = "rt+jwt") -> None:
        active().check_hmac_key(key)
        active().check_jws_algorithm("HS256", key)
        self._key = key
        self._header = b64url(_json({"alg": "HS256", "typ": typ}))

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{self._header}.{b64url(_json(claims))}"
        mac = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(mac)}"

    def verify(self, token: str) -> dict[str, Any]:
        header, payload, signature = _split(token)
        if header.get("alg") != "HS256":
            raise BadToken("not a refresh token")
        signing_input = token.rsplit(".", 1)[0].encode("ascii")
        expected = hmac.new(self._key, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise BadToken("bad signature")
        return payload


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        raise BadToken("not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise BadToken("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise BadToken("malformed token")
    return header, payload, signature


def unverified_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = _split(token)
    return header, payload


def verify(token: str, keys: dict[str, tuple[str, PublicKey]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token signed by one of ``keys`` (kid -> algorithm and key), with
    that key's own algorithm (no algorithm confusion); claims unchecked."""
    header, payload, signature = _split(token)
    try:
        active().check_jws_algorithm(str(header.get("alg")))
    except CryptoPolicyError as exc:
        raise BadToken(str(exc)) from None
    entry = keys.get(str(header.get("kid")))
    if entry is None:
        raise BadToken("unknown key")
    algorithm, key = entry
    if header.get("alg") != algorithm:
        raise BadToken("algorithm not accepted")
    try:
        ALGORITHMS[algorithm].verify(key, signature, token.rsplit(".", 1)[0].encode("ascii"))
    except InvalidSignature as exc:
        raise BadToken("bad signature") from exc
    return header, payload


def new_kid() -> str:
    return uuid.uuid4().hex
