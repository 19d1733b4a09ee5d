"""What cryptography the platform may use: every key, algorithm, cipher and TLS context is checked
here, at the place it is loaded, configured or accepted, never per service.

``APIM_CRYPTO_PROVIDER=default`` changes nothing (each check returns at once); ``fips`` refuses what
FIPS 140-3 does not approve, with the reason, before OpenSSL's FIPS provider would fail on it
deeper down (or, on a build without it, silently allow it):

- RSA keys under 2048 bits or with a public exponent other than 65537;
- Ed25519, Ed448, X25519, X448 and DSA keys; EC keys off the NIST P-curves;
- JWS ``none``, ``EdDSA`` and SHA-1 based algorithms; HS* with a key shorter than its hash;
- JWE ``RSA1_5`` and RSA-OAEP with SHA-1; ChaCha20-Poly1305 and 3DES;
- TLS below 1.2, and TLS 1.2 suites that are not ECDHE/DHE with AES-GCM;
- HMAC keys under 112 bits; KDFs and password hashing other than HKDF/PBKDF2 with SHA-2.

The provider is a property of the process (OpenSSL's default properties are process-wide, and the
services of one process share their settings), so the policy in force is one value, set from the
settings when an app is built (``activate``) and read where a check happens (``active``).

Exceptions::

    ValueError
    └── CryptoPolicyError      what the policy in force refuses; the message names it
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519


class CryptoProvider(StrEnum):
    DEFAULT = "default"
    FIPS = "fips"


class CryptoPolicyError(ValueError):
    """The policy in force refuses a key, algorithm, cipher or protocol."""


MIN_RSA_BITS = 2048
RSA_EXPONENT = 65537
MIN_HMAC_BITS = 112
PBKDF2_ITERATIONS = 600_000
# JWS algorithms FIPS approves (RFC 7518 names); HS* also need a key as long as the hash.
APPROVED_JWS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
    | {"HS256", "HS384", "HS512"}
)
_HS_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
APPROVED_JWE_KEY = frozenset(
    {"RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512", "A128KW", "A192KW", "A256KW", "dir"}
    | {"A128GCMKW", "A192GCMKW", "A256GCMKW", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"}
)
APPROVED_JWE_ENC = frozenset({"A128GCM", "A192GCM", "A256GCM"})
APPROVED_CIPHERS = frozenset({"AES-GCM", "AES-KW", "AES-CTR", "AES-CBC"})
# Spelled without separators: "sha256", "SHA-256" and "SHA_256" are one name.
APPROVED_HASHES = frozenset(
    {"SHA224", "SHA256", "SHA384", "SHA512", "SHA512224", "SHA512256"}
    | {"SHA3224", "SHA3256", "SHA3384", "SHA3512"}
)
APPROVED_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
_JWK_CURVES = frozenset({"P-256", "P-384", "P-521"})
# TLS 1.2 suites: forward secret and AEAD. TLS 1.3 suites are all AEAD; the FIPS provider itself
# withholds ChaCha20 there.
FIPS_TLS_CIPHERS = "ECDHE+AESGCM:DHE+AESGCM"

_CURVE_NAMES = {"P-256": "secp256r1", "P-384": "secp384r1", "P-521": "secp521r1"}
_REFUSED_KEY_KINDS: tuple[tuple[type[Any], str], ...] = (
    (ed25519.Ed25519PublicKey, "Ed25519"),
    (ed25519.Ed25519PrivateKey, "Ed25519"),
    (ed448.Ed448PublicKey, "Ed448"),
    (ed448.Ed448PrivateKey, "Ed448"),
    (x25519.X25519PublicKey, "X25519"),
    (x25519.X25519PrivateKey, "X25519"),
    (x448.X448PublicKey, "X448"),
    (x448.X448PrivateKey, "X448"),
    (dsa.DSAPublicKey, "DSA"),
    (dsa.DSAPrivateKey, "DSA"),
)


def _normal(name: str) -> str:
    return name.strip().upper().replace("_", "-")


def _compact(name: str) -> str:
    return "".join(c for c in name.upper() if c.isalnum())


@dataclass(frozen=True, slots=True)
class CryptoPolicy:
    """One provider's rules; every ``check_*`` raises ``CryptoPolicyError`` or returns None."""

    provider: CryptoProvider = CryptoProvider.DEFAULT

    @property
    def fips(self) -> bool:
        return self.provider is CryptoProvider.FIPS

    def _refuse(self, what: str) -> CryptoPolicyError:
        return CryptoPolicyError(f"{what} is not allowed in FIPS mode (APIM_CRYPTO_PROVIDER=fips)")

    # -- keys ---------------------------------------------------------------------------------------

    def check_key(self, key: object) -> None:
        """A public or private key from cryptography: RSA size and exponent, curve, key kind."""
        if not self.fips:
            return
        if isinstance(key, rsa.RSAPrivateKey):
            key = key.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            self.check_rsa(key.key_size, key.public_numbers().e)
            return
        if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
            if key.curve.name not in APPROVED_CURVES:
                raise self._refuse(f"an EC key on {key.curve.name}")
            return
        for kind, name in _REFUSED_KEY_KINDS:
            if isinstance(key, kind):
                raise self._refuse(f"an {name} key")
        raise self._refuse(f"a key of type {type(key).__name__}")

    def check_rsa(self, bits: int, exponent: int) -> None:
        if not self.fips:
            return
        if bits < MIN_RSA_BITS:
            raise self._refuse(f"an RSA key of {bits} bits (at least {MIN_RSA_BITS})")
        if exponent != RSA_EXPONENT:
            raise self._refuse(f"an RSA key with public exponent {exponent} (only {RSA_EXPONENT})")

    def check_jwk(self, document: Mapping[str, Any]) -> None:
        """A JWK as published in a JWKS: checked from its parameters, before any key is built."""
        if not self.fips:
            return
        kid = document.get("kid")
        named = f" (kid {kid!r})" if kid else ""
        kty = document.get("kty")
        try:
            if kty == "RSA":
                self.check_rsa(_jwk_int(document["n"]).bit_length(), _jwk_int(document["e"]))
            elif kty == "EC":
                if document.get("crv") not in _JWK_CURVES:
                    raise self._refuse(f"an EC key on {document.get('crv')!r}")
            elif kty == "OKP":
                raise self._refuse(f"an {document.get('crv') or 'OKP'} key")
            elif kty != "oct":
                raise self._refuse(f"a key of type {kty!r}")
        except CryptoPolicyError as exc:
            raise CryptoPolicyError(f"{exc}{named}") from None
        except (KeyError, ValueError, TypeError) as exc:
            raise CryptoPolicyError(f"a malformed {kty} key{named}") from exc
        alg = document.get("alg")
        if isinstance(alg, str) and alg:
            self.check_jws_algorithm(alg)

    def check_hmac_key(self, key: bytes) -> None:
        if self.fips and len(key) * 8 < MIN_HMAC_BITS:
            raise self._refuse(f"an HMAC key of {len(key) * 8} bits (at least {MIN_HMAC_BITS})")

    # -- algorithms ---------------------------------------------------------------------------------

    def check_jws_algorithm(self, alg: str, key: bytes | None = None) -> None:
        """A JWS ``alg``; for HS*, ``key`` is the shared secret when the caller holds it."""
        if not self.fips:
            return
        if alg not in APPROVED_JWS:
            raise self._refuse(f"the JWS algorithm {alg!r}")
        needed = _HS_KEY_BYTES.get(alg)
        if needed is not None and key is not None and len(key) < needed:
            raise self._refuse(f"{alg} with a key of {len(key)} bytes (at least {needed})")

    def check_jwe(self, alg: str, enc: str) -> None:
        if not self.fips:
            return
        if alg not in APPROVED_JWE_KEY:
            raise self._refuse(f"the JWE key management algorithm {alg!r}")
        if enc not in APPROVED_JWE_ENC:
            raise self._refuse(f"the JWE content encryption {enc!r}")

    def check_cipher(self, name: str) -> None:
        if self.fips and _normal(name) not in APPROVED_CIPHERS:
            raise self._refuse(f"the cipher {name}")

    def check_hash(self, name: str) -> None:
        if self.fips and _compact(name) not in APPROVED_HASHES:
            raise self._refuse(f"the hash {name} in a signature, KDF or password hash")

    def check_kdf(self, kdf: str, hash_name: str) -> None:
        if not self.fips:
            return
        if _normal(kdf) not in ("HKDF", "PBKDF2"):
            raise self._refuse(f"the key derivation {kdf}")
        self.check_hash(hash_name)

    # -- TLS ----------------------------------------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """The context of every outbound TLS connection: the system's, hardened in FIPS mode."""
        return self.harden(ssl.create_default_context())

    def httpx_verify(self) -> ssl.SSLContext | bool:
        """``verify=`` for an httpx client: httpx's own context (its CA bundle), hardened in FIPS mode."""
        return self.harden(httpx.create_ssl_context()) if self.fips else True

    def harden(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """``context`` with TLS 1.2 at least and forward-secret AEAD suites (FIPS mode)."""
        if self.fips:
            if context.maximum_version is not ssl.TLSVersion.MAXIMUM_SUPPORTED and (
                context.maximum_version < ssl.TLSVersion.TLSv1_2
            ):
                raise self._refuse(f"a TLS context capped at {context.maximum_version.name}")
            if context.minimum_version < ssl.TLSVersion.TLSv1_2 or (
                context.minimum_version is ssl.TLSVersion.MINIMUM_SUPPORTED
            ):
                context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(FIPS_TLS_CIPHERS)
        return context

    def check_tls_version(self, version: ssl.TLSVersion) -> None:
        """The lowest version a listener or client would accept."""
        if self.fips and (version is ssl.TLSVersion.MINIMUM_SUPPORTED or version < ssl.TLSVersion.TLSv1_2):
            raise self._refuse(f"{version.name}")

    @property
    def tls_ciphers(self) -> str | None:
        """The cipher string for a listener (uvicorn's ``ssl_ciphers``), None to keep its default."""
        return FIPS_TLS_CIPHERS if self.fips else None


def _jwk_int(value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError("not a base64url string")
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


DEFAULT_POLICY = CryptoPolicy()
FIPS_POLICY = CryptoPolicy(CryptoProvider.FIPS)
_active: list[CryptoPolicy] = [DEFAULT_POLICY]


def policy_for(provider: CryptoProvider | str) -> CryptoPolicy:
    return FIPS_POLICY if CryptoProvider(provider) is CryptoProvider.FIPS else DEFAULT_POLICY


def activate(provider: CryptoProvider | str) -> CryptoPolicy:
    """Puts ``provider``'s policy in force for the process; returns it."""
    policy = policy_for(provider)
    _active[0] = policy
    return policy


def active() -> CryptoPolicy:
    """The policy in force."""
    return _active[0]
