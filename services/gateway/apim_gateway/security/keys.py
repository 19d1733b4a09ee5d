"""Public keys of one key manager (its JWKS URL or PEM), and signature checks with them.

Keys are fetched once and again only when a token names an unknown ``kid`` (at most every
``min_refresh`` seconds, so unknown kids cannot turn every bad token into a JWKS request).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from apim_common.crypto_policy import CryptoPolicyError, active
from apim_common.outbound import OutboundRefused

logger = logging.getLogger(__name__)

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA = ec.ECDSA(hashes.SHA256())


class KeyUnavailable(Exception):
    """The key manager's keys could not be fetched."""


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _int(value: str) -> int:
    return int.from_bytes(b64url_decode(value), "big")


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey | None:
    kty = jwk.get("kty")
    if kty == "RSA":
        return rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key()
    if kty == "EC" and jwk.get("crv") == "P-256":
        return ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), ec.SECP256R1()).public_key()
    return None


def public_key_from_pem(pem: str) -> PublicKey:
    data = pem.encode()
    key: Any
    if b"CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("only RSA and EC P-256 keys verify tokens")
    active().check_key(key)
    return key


def verify_signature(key: PublicKey, alg: str, signing_input: bytes, signature: bytes) -> bool:
    try:
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, _PKCS1, _SHA256)
            return True
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, signing_input, _ECDSA)
            return True
    except InvalidSignature:
        return False
    return False


class KeySet:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None = None,
        jwks_url: str | None = None,
        pem: str | None = None,
        min_refresh: float = 5.0,
    ) -> None:
        self._http = http
        self.jwks_url = jwks_url
        self._keys: dict[str | None, PublicKey] = {}
        self._fetched_at = 0.0
        self._min_refresh = min_refresh
        self._lock = asyncio.Lock()
        if pem is not None:
            self._keys[None] = public_key_from_pem(pem)
            self._fetched_at = time.monotonic()

    def cached(self, kid: str | None) -> PublicKey | None:
        return self._keys.get(kid) if kid in self._keys else self._keys.get(None)

    async def key(self, kid: str | None) -> PublicKey | None:
        key = self.cached(kid)
        if key is not None or self.jwks_url is None:
            return key
        await self._refresh()
        return self.cached(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            if self._fetched_at and time.monotonic() - self._fetched_at < self._min_refresh:
                return
            assert self._http is not None
            assert self.jwks_url is not None
            try:
                response = await self._http.get(self.jwks_url, timeout=5.0)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError, OutboundRefused) as exc:
                raise KeyUnavailable(f"cannot fetch {self.jwks_url}: {exc}") from exc
            keys: dict[str | None, PublicKey] = {}
            policy = active()
            for jwk in document.get("keys") or ():
                try:
                    policy.check_jwk(jwk)
                    key = public_key_from_jwk(jwk)
                except CryptoPolicyError as exc:
                    logger.warning("%s: key ignored: %s", self.jwks_url, exc)
                    continue
                except (KeyError, ValueError):
                    continue
                if key is not None:
                    keys[jwk.get("kid")] = key
            self._keys = keys
            self._fetched_at = time.monotonic()
