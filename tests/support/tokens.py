"""Tokens for testing a service alone: an RSA key, its JWKS, and JWTs shaped like the key manager's."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from jwcrypto import jwk, jwt

from apim_common.events.envelope import DEFAULT_TENANT

TEST_ISSUER = "https://localhost:9443/oauth2/token"


class TokenFactory:
    def __init__(self, issuer: str = TEST_ISSUER) -> None:
        self.issuer = issuer
        self.kid = uuid.uuid4().hex
        self.key = jwk.JWK.generate(kty="RSA", size=2048, kid=self.kid)

    def jwks(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.key.export_public())
        return {"keys": [{**document, "use": "sig", "alg": "RS256"}]}

    def mint(
        self,
        username: str = "admin",
        scopes: str | list[str] = "",
        *,
        tenant: str = DEFAULT_TENANT,
        client_id: str = "test-client",
        expires_in: int = 3600,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        scope = scopes if isinstance(scopes, str) else " ".join(scopes)
        claims = {
            "iss": self.issuer,
            "sub": f"{username}@{tenant}" if "@" not in username else username,
            "aud": client_id,
            "azp": client_id,
            "scope": scope,
            "tenant": tenant,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            **extra,
        }
        token = jwt.JWT(header={"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims=claims)
        token.make_signed_token(self.key)
        return str(token.serialize())

    def headers(self, username: str = "admin", scopes: str | list[str] = "", **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(username, scopes, **kwargs)}"}
