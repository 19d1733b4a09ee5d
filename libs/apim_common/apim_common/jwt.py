"""JWT verification against a JWKS: keys cached, refreshed when an unknown ``kid`` appears,
RS256/ES256 only (``alg=none`` and HS/RS confusion are refused before any key is used).

A token whose signature was verified is remembered with its claims (a bounded number, dropped
whenever the key set is fetched again), so a caller sending the same token again costs a lookup
and the claims' time checks, not jwcrypto's parse and a signature check: a service token is sent
with every call between services for its whole lifetime."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx
from jwcrypto import jwk, jws
from jwcrypto import jwt as jwcrypto_jwt
from jwcrypto.common import JWException

from apim_common.crypto_policy import CryptoPolicyError, active

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "ES256")
# How many verified tokens a verifier remembers; the oldest is forgotten first.
VERIFIED_TOKENS = 4096
# The ``token_type`` claim of the key manager's API keys.
API_KEY_TOKEN_TYPE = "apiKey"
_KTY_FOR_ALG = {"RS256": "RSA", "ES256": "EC"}

JWKSFetcher = Callable[[], Awaitable[dict[str, Any]]]


class InvalidToken(Exception):
    """The token is malformed, signed by an unknown key or with a refused algorithm, or its claims fail."""


class ExpiredToken(InvalidToken):
    """The token's signature is good but it has expired."""


def http_jwks_fetcher(client: httpx.AsyncClient, url: str) -> JWKSFetcher:
    async def fetch() -> dict[str, Any]:
        response = await client.get(url, timeout=5.0)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    return fetch


class JWKSVerifier:
    def __init__(
        self,
        fetch: JWKSFetcher,
        *,
        issuer: str | Iterable[str] | None = None,
        audience: str | None = None,
        leeway: int = 30,
        min_refresh_interval: float = 5.0,
    ) -> None:
        self._fetch = fetch
        self._issuers = {issuer} if isinstance(issuer, str) else (set(issuer) if issuer else None)
        self._audience = audience
        self._leeway = leeway
        self._min_refresh_interval = min_refresh_interval
        self._keys = jwk.JWKSet()
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        # Token -> its verified claims (insertion order: the oldest first).
        self._verified: dict[str, dict[str, Any]] = {}

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            if not force and self._fetched_at:
                return
            if force and time.monotonic() - self._fetched_at < self._min_refresh_interval:
                return  # an unknown kid must not turn every bad token into a JWKS request
            document = await self._fetch()
            self._keys = jwk.JWKSet.from_json(json.dumps(_allowed_keys(document)))
            self._fetched_at = time.monotonic()
            # A key gone from the set no longer vouches for the tokens it signed.
            self._verified.clear()

    async def _key_for(self, kid: str | None, alg: str) -> jwk.JWK:
        if not self._fetched_at:
            await self._refresh(force=False)
        key = self._keys.get_key(kid) if kid else None
        if key is None and kid:
            await self._refresh(force=True)
            key = self._keys.get_key(kid)
        if key is None:
            raise InvalidToken("token signed by an unknown key")
        if key.get("kty") != _KTY_FOR_ALG[alg]:
            raise InvalidToken(f"key {kid} cannot verify {alg}")
        return key

    async def verify(self, token: str) -> dict[str, Any]:
        """Return the verified claims or raise ``InvalidToken`` / ``ExpiredToken``."""
        known = self._verified.get(token)
        if known is not None:
            self._check_claims(known)  # expiry and not-before move with the clock
            return dict(known)
        header = _unverified_header(token)
        alg = header.get("alg")
        try:
            active().check_jws_algorithm(str(alg))
        except CryptoPolicyError as exc:
            raise InvalidToken(str(exc)) from None
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"algorithm {alg!r} is not accepted")
        key = await self._key_for(header.get("kid"), alg)
        try:
            parsed = jwcrypto_jwt.JWT(jwt=token, key=key, algs=[alg], check_claims=False)
        except (JWException, ValueError) as exc:
            raise InvalidToken("signature verification failed") from exc
        claims: dict[str, Any] = json.loads(parsed.claims)
        self._check_claims(claims)
        verified = self._verified
        if len(verified) >= VERIFIED_TOKENS:
            del verified[next(iter(verified))]
        verified[token] = claims
        return dict(claims)

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("token_type") == API_KEY_TOKEN_TYPE:
            # API keys call APIs through the gateway; they never stand for a user elsewhere.
            raise InvalidToken("an API key is not an access token")
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise InvalidToken("token has no expiry")
        if exp + self._leeway < now:
            raise ExpiredToken("token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf - self._leeway > now:
            raise InvalidToken("token is not valid yet")
        if self._issuers is not None and claims.get("iss") not in self._issuers:
            raise InvalidToken("token issuer is not trusted")
        if self._audience is not None:
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if self._audience not in audiences:
                raise InvalidToken("token audience does not match")


def _allowed_keys(document: dict[str, Any]) -> dict[str, Any]:
    """The JWKS without the keys the crypto policy refuses (each logged once per fetch)."""
    policy = active()
    if not policy.fips:
        return document
    kept = []
    for key in document.get("keys") or ():
        try:
            policy.check_jwk(key)
        except CryptoPolicyError as exc:
            logger.warning("JWKS key ignored: %s", exc)
            continue
        kept.append(key)
    return {**document, "keys": kept}


def _unverified_header(token: str) -> dict[str, Any]:
    if token.count(".") != 2:
        raise InvalidToken("not a compact JWS")
    try:
        signed = jws.JWS()
        signed.deserialize(token)
        header: dict[str, Any] = signed.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidToken("malformed token") from exc
    if isinstance(header, list) or not isinstance(header, dict):
        raise InvalidToken("malformed token header")
    return header
