"""Verifying OAuth2 JWTs and API keys from any configured key manager, with a verified-token cache.

A full RS256 check costs about 110 us inside the server; a cache hit about 1 us. Only tokens whose
signature, issuer, audience and expiry passed are cached, keyed by the token string, until they
expire; revocation is checked on every use, cache hit or not (``RuntimeState.is_revoked``).

Which key managers may vouch for a token on an API: those of the API's tenant and the global ones
(4.3), narrowed to the API's ``keyManagers`` when it names some. The token's ``iss`` picks one.

API keys are self-contained JWTs signed by the key manager's API-key key (published in the
resident key manager's JWKS) with ``token_type: apiKey``; they carry the application and the
subscribed APIs. An API key is never accepted as an access token, nor the reverse.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from apim_common.crypto_policy import CryptoPolicyError, active
from apim_gateway.errors import (
    INVALID_CREDENTIALS,
    TOKEN_EXPIRED,
    UNCLASSIFIED,
    GatewayError,
)
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.runtime.state import KeyManagerConfig, RuntimeState
from apim_gateway.security.keys import KeySet, KeyUnavailable, b64url_decode, verify_signature

API_KEY_TOKEN_TYPE = "apiKey"
_ALGORITHMS = frozenset(("RS256", "ES256"))
LEEWAY = 30


@dataclass(slots=True)
class VerifiedToken:
    token: str
    claims: dict[str, Any]
    expires_at: float  # inf for an API key without expiry
    issued_at: float
    jti: str | None
    subject: str | None
    issuer: str
    keys: KeySet
    key_manager: KeyManagerConfig
    consumer_key: str | None
    scopes: frozenset[str]
    is_api_key: bool
    # The API whose key managers were last found to hold this token's, with the key managers'
    # version then: a call to the same API finds its token trusted without the lookup.
    trusted_for: CompiledApi | None = None
    trusted_version: int = -1


def _invalid(description: str) -> GatewayError:
    return GatewayError(401, INVALID_CREDENTIALS, description)


def _scopes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return frozenset()


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the default port spelled out."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


class TokenVerifier:
    """``http`` fetches the platform's own key manager's JWKS (at ``trusted_jwks_origin``); the JWKS
    URL of any other key manager, which a tenant administrator sets, is fetched with ``jwks_http``,
    the outbound guard's client, so it cannot be aimed at the metadata service or a private network.
    """

    def __init__(
        self,
        state: RuntimeState,
        http: httpx.AsyncClient,
        *,
        cache_size: int = 100_000,
        jwks_http: httpx.AsyncClient | None = None,
        trusted_jwks_origin: str | None = None,
    ) -> None:
        self._state = state
        self._http = http
        self._crypto = active()
        self._jwks_http = jwks_http or http
        self._trusted_origin = origin(trusted_jwks_origin) if trusted_jwks_origin else None
        self._cache: dict[str, VerifiedToken] = {}
        self._cache_size = cache_size
        self._index_version = -1
        self._by_tenant: dict[tuple[str, str], list[KeyManagerConfig]] = {}
        self._global: dict[str, list[KeyManagerConfig]] = {}
        self._keysets: dict[str, KeySet] = {}
        self.verifications = 0

    # -- key managers -----------------------------------------------------------------------------

    def _reindex(self) -> None:
        by_tenant: dict[tuple[str, str], list[KeyManagerConfig]] = {}
        global_: dict[str, list[KeyManagerConfig]] = {}
        keysets: dict[str, KeySet] = {}
        for km in self._state.key_managers.values():
            if not km.enabled or not km.self_validate:
                continue
            source = km.jwks_url or km.pem
            if source is None:
                continue
            keyset = self._keysets.get(source) or keysets.get(source)
            if keyset is None:
                try:
                    keyset = (
                        KeySet(http=self._jwks_client(km.jwks_url), jwks_url=km.jwks_url)
                        if km.jwks_url
                        else KeySet(pem=km.pem)
                    )
                except ValueError:
                    continue
            keysets[source] = keyset
            target = (
                global_.setdefault(km.issuer, [])
                if km.is_global
                else by_tenant.setdefault((km.tenant, km.issuer), [])
            )
            target.append(km)
        self._by_tenant, self._global, self._keysets = by_tenant, global_, keysets
        self._index_version = self._state.key_manager_version
        # Tokens verified with key managers that changed are verified again.
        self._cache.clear()

    def _jwks_client(self, jwks_url: str) -> httpx.AsyncClient:
        try:
            trusted = self._trusted_origin is not None and origin(jwks_url) == self._trusted_origin
        except httpx.InvalidURL:
            trusted = False
        return self._http if trusted else self._jwks_http

    def keyset(self, km: KeyManagerConfig) -> KeySet:
        return self._keysets[km.jwks_url or km.pem or ""]

    def _key_manager(self, api: CompiledApi, issuer: str) -> KeyManagerConfig | None:
        if self._index_version != self._state.key_manager_version:
            self._reindex()
        allowed = api.key_managers
        for km in self._by_tenant.get((api.tenant, issuer), ()):
            if allowed is None or km.name in allowed:
                return km
        for km in self._global.get(issuer, ()):
            if allowed is None or km.name in allowed:
                return km
        return None

    # -- tokens -----------------------------------------------------------------------------------

    async def verify(self, token: str, api: CompiledApi, *, api_key: bool = False) -> VerifiedToken:
        """The verified token for a call to ``api``, or ``GatewayError`` (900901 / 900903 / 900900)."""
        verified = self._cache.get(token)
        now = time.time()
        version = self._state.key_manager_version
        if verified is not None and self._index_version == version:
            if verified.expires_at + LEEWAY < now:
                del self._cache[token]
                raise GatewayError(401, TOKEN_EXPIRED, "The access token has expired")
            if verified.trusted_for is not api or verified.trusted_version != version:
                km = self._key_manager(api, verified.issuer)
                if km is None or self.keyset(km) is not verified.keys:
                    verified = None
                else:
                    verified.trusted_for, verified.trusted_version = api, version
            if verified is not None:
                if verified.is_api_key != api_key:
                    raise _invalid(_wrong_kind(api_key))
                return verified
        verified = await self._verify(token, api, now)
        if verified.is_api_key != api_key:
            raise _invalid(_wrong_kind(api_key))
        if self._cache_size:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[token] = verified
        return verified

    async def _verify(self, token: str, api: CompiledApi, now: float) -> VerifiedToken:
        parts = token.split(".")
        if len(parts) != 3:
            raise _invalid("The token is not a signed JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, TypeError) as exc:
            raise _invalid("The token is malformed") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise _invalid("The token is malformed")
        alg = header.get("alg")
        try:
            self._crypto.check_jws_algorithm(str(alg))
        except CryptoPolicyError as exc:
            raise _invalid(str(exc)) from None
        if alg not in _ALGORITHMS:
            raise _invalid(f"Tokens signed with {alg!r} are not accepted")
        issuer = str(claims.get("iss") or "")
        km = self._key_manager(api, issuer)
        if km is None:
            raise _invalid("The token's issuer is not a key manager of this API")
        if km.algorithm is not None and alg != km.algorithm:
            raise _invalid(f"The key manager's tokens are signed with {km.algorithm}, not {alg}")
        keys = self.keyset(km)
        try:
            key = await keys.key(header.get("kid"))
        except KeyUnavailable as exc:
            raise GatewayError(500, UNCLASSIFIED, "The key manager's keys cannot be fetched") from exc
        if key is None or not verify_signature(key, alg, f"{parts[0]}.{parts[1]}".encode(), signature):
            raise _invalid("The token's signature is not valid")
        self.verifications += 1
        is_api_key = claims.get("token_type") == API_KEY_TOKEN_TYPE
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            if not is_api_key:
                raise _invalid("The token has no expiry")
            exp = float("inf")
        if exp + LEEWAY < now:
            raise GatewayError(401, TOKEN_EXPIRED, "The access token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf - LEEWAY > now:
            raise _invalid("The token is not valid yet")
        if km.audience is not None:
            aud = claims.get("aud")
            if km.audience not in (aud if isinstance(aud, list) else [aud]):
                raise _invalid("The token's audience does not match")
        consumer_key = claims.get(km.consumer_key_claim) or claims.get("azp") or claims.get("client_id")
        for remote, local in km.claim_mapping:
            if remote in claims:
                claims[local] = claims[remote]
        iat = claims.get("iat")
        return VerifiedToken(
            token=token,
            claims=claims,
            expires_at=float(exp),
            issued_at=float(iat) if isinstance(iat, int | float) else 0.0,
            jti=str(claims["jti"]) if claims.get("jti") else None,
            subject=str(claims["sub"]) if claims.get("sub") else None,
            issuer=issuer,
            keys=keys,
            key_manager=km,
            consumer_key=str(consumer_key) if consumer_key else None,
            scopes=_scopes(claims.get(km.scopes_claim)),
            is_api_key=is_api_key,
        )

    def revoked(self, verified: VerifiedToken) -> bool:
        return self._state.is_revoked(
            verified.jti, verified.consumer_key, verified.subject, verified.issued_at
        )


def _wrong_kind(api_key: bool) -> str:
    return "An access token is not an API key" if api_key else "An API key is not an access token"


def subscribed_api(claims: Mapping[str, Any], api: CompiledApi) -> Mapping[str, Any] | None:
    """The API key's entry for ``api`` (by context and version), if the key was issued for it."""
    for entry in claims.get("subscribedAPIs") or ():
        if not isinstance(entry, Mapping):
            continue
        context = "/" + str(entry.get("context") or "").strip("/")
        if context.startswith(f"/t/{api.tenant}/"):
            context = context[len(f"/t/{api.tenant}") :]
        if context.endswith("/" + api.version):
            context = context[: -len(api.version) - 1]
        if context == api.context and str(entry.get("version")) == api.version:
            return entry
    return None
