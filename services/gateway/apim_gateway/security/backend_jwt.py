"""The backend JWT (WSO2's X-JWT-Assertion): who is calling, signed by the gateway for the backend.

The gateway holds one RS256 key (generated at start, or read from
``APIM_BACKEND_JWT_PRIVATE_KEY_FILE``) and publishes its public half at ``/jwks`` and
``/t/{tenant}/jwks`` with its ``kid``, so a backend verifies the JWT with any JOSE library.

When it is sent:

- for every API when ``APIM_BACKEND_JWT_ENABLED=true`` (header ``APIM_BACKEND_JWT_HEADER``,
  lifetime ``APIM_BACKEND_JWT_TTL``, end-user claims with ``APIM_BACKEND_JWT_USER_CLAIMS``);
- for one API (or operation) when its policies include ``backEndJWT``: the policy puts its
  settings in ``exchange.variables["backend_jwt"]`` and the request path signs with them.

How a policy reaches the signer: ``exchange.gateway_services`` is the request path's
``Services``; its ``backend_jwt`` attribute is the ``BackendJwtSigner`` below::

    assert exchange.gateway_services is not None   # None only for a policy run outside a gateway
    signer = exchange.gateway_services.backend_jwt
    token = signer.token_for(exchange, ttl=900, user_claims=False)   # cached until near expiry
    set_header(exchange.request.headers, "x-jwt-assertion", token)

The request path does exactly that after the request flow, so the built-in ``backEndJWT`` policy
only has to set the variable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from apim_common import crypto_policy
from apim_gateway.context import Exchange

CLAIMS = "http://wso2.org/claims/"
# Claims of the caller's token not copied as end-user claims (they describe the token itself).
_TOKEN_CLAIMS = frozenset(("iss", "aud", "exp", "iat", "nbf", "jti", "azp", "scope", "token_type"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class BackendJwtSigner:
    def __init__(self, private_key: rsa.RSAPrivateKey, *, issuer: str = "wso2.org/products/am") -> None:
        self._key = private_key
        numbers = private_key.public_key().public_numbers()
        self.jwk: dict[str, str] = {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
        # RFC 7638 thumbprint: the kid stays the same for the same key across restarts.
        canonical = json.dumps({"e": self.jwk["e"], "kty": "RSA", "n": self.jwk["n"]}, separators=(",", ":"))
        self.kid = _b64(hashlib.sha256(canonical.encode()).digest())
        self.jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        self.issuer = issuer
        self._header = _b64(json.dumps({"typ": "JWT", "alg": "RS256", "kid": self.kid}).encode())
        self._unsigned_header = _b64(json.dumps({"typ": "JWT", "alg": "none"}).encode())
        self._cache: dict[tuple[Any, ...], tuple[str, float]] = {}
        self.jwks_body = json.dumps({"keys": [self.jwk]}).encode()

    @classmethod
    def generate(cls) -> BackendJwtSigner:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def from_pem_file(cls, path: Path) -> BackendJwtSigner:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        crypto_policy.active().check_key(key)  # FIPS mode: 2048 bits at least, e = 65537
        return cls(key)

    def sign(self, claims: dict[str, Any], *, algorithm: str = "RS256") -> str:
        """RS256 with the published key; ``NONE`` gives an unsigned JWT (the policy allows it)."""
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        if algorithm.upper() == "NONE":
            return f"{self._unsigned_header}.{payload}."
        signing_input = f"{self._header}.{payload}".encode()
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{self._header}.{payload}.{_b64(signature)}"

    def claims_for(self, exchange: Exchange, *, ttl: int, user_claims: bool) -> dict[str, Any]:
        auth = exchange.auth
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "iat": now,
            "exp": now + ttl,
            "jti": hashlib.sha256(f"{now}:{id(exchange)}:{auth.consumer_key}".encode()).hexdigest()[:32],
            CLAIMS + "subscriber": auth.subscriber,
            CLAIMS + "applicationid": auth.application_id,
            CLAIMS + "applicationname": auth.application_name,
            CLAIMS + "applicationtier": auth.application_tier,
            CLAIMS + "apiname": exchange.variables.get("api_name"),
            CLAIMS + "apicontext": exchange.api_context,
            CLAIMS + "version": exchange.api_version,
            CLAIMS + "tier": auth.subscription_tier,
            CLAIMS + "keytype": auth.key_type,
            CLAIMS + "usertype": "APPLICATION_USER" if auth.subscriber else "APPLICATION",
            CLAIMS + "enduser": auth.claims.get("sub") or auth.subscriber,
            CLAIMS + "enduserTenantId": auth.tenant,
            "sub": auth.claims.get("sub") or auth.subscriber,
        }
        if auth.consumer_key:
            claims["azp"] = auth.consumer_key
            claims[CLAIMS + "consumerKey"] = auth.consumer_key
        if user_claims:
            for name, value in auth.claims.items():
                if name not in _TOKEN_CLAIMS and name not in claims:
                    claims[name] = value
        return {k: v for k, v in claims.items() if v is not None}

    def token_for(self, exchange: Exchange, *, ttl: int, user_claims: bool, algorithm: str = "RS256") -> str:
        """A signed JWT for this caller and API; the same one again until a minute before it expires."""
        auth = exchange.auth
        key = (
            exchange.api_id,
            auth.consumer_key,
            auth.subscriber,
            auth.claims.get("jti"),
            auth.key_type,
            ttl,
            user_claims,
            algorithm,
        )
        now = time.time()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        token = self.sign(self.claims_for(exchange, ttl=ttl, user_claims=user_claims), algorithm=algorithm)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[key] = (token, now + max(ttl - 60, ttl / 2))
        return token
