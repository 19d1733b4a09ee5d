"""Compact JWS signing and checking with keys held as objects, so no token loads a key.

Access tokens and API keys are RS256 (published in the JWKS); refresh tokens are HS256 under a key
derived from APIM_SECRET_KEY: only this service can read them, and no RS256-only verifier
(gateways, other services) would ever take one for an access token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwk


class BadToken(Exception):
    """Not a token of ours: malformed, badly signed or signed by an unknown key."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def derive_key(secret: str, purpose: str) -> bytes:
    """32 bytes for one purpose, derived from the installation secret (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"apim-key-manager", info=purpose.encode())
    return hkdf.derive(secret.encode())


def fernet(secret: str, purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, purpose)))


def decrypt(box: Fernet, token: str) -> str:
    try:
        return box.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: APIM_SECRET_KEY differs from the one that encrypted it") from exc


def generate_rsa(size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_private_pem(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("signing keys are RSA")
    return key


def load_public_pem(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA public keys are accepted")
    return key


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    document: dict[str, Any] = jwk.JWK.from_pyca(key.public_key()).export_public(as_dict=True)
    return {**document, "kid": kid, "use": "sig", "alg": "RS256"}


def public_key_from_jwk(document: dict[str, Any]) -> rsa.RSAPublicKey:
    key = jwk.JWK(**document).get_op_key("verify")
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA keys are published")
    return key


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class RS256Signer:
    kid: str
    key: rsa.RSAPrivateKey
    typ: str = "JWT"
    _header: str = field(init=False)

    def __post_init__(self) -> None:
        self._header = b64url(_json({"alg": "RS256", "typ": self.typ, "kid": self.kid}))

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{self._header}.{b64url(_json(claims))}"
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


class HS256Codec:
    """Refresh tokens: signed and read by this service alone."""

    def __init__(self, key: bytes, typ: str = "rt+jwt") -> None:
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


def verify_rs256(token: str, keys: dict[str, rsa.RSAPublicKey]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of an RS256 token signed by one of ``keys`` (by kid); claims unchecked."""
    header, payload, signature = _split(token)
    if header.get("alg") != "RS256":
        raise BadToken("algorithm not accepted")
    key = keys.get(str(header.get("kid")))
    if key is None:
        raise BadToken("unknown key")
    try:
        key.verify(signature, token.rsplit(".", 1)[0].encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise BadToken("bad signature") from exc
    return header, payload


def new_kid() -> str:
    return uuid.uuid4().hex
