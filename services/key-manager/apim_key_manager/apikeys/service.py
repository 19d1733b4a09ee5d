"""API keys: self-contained JWTs the gateway checks against the JWKS and its subscription model."""

from __future__ import annotations

import time
import uuid
from typing import Any

from apim_key_manager.apikeys.schemas import APIKeyRequest
from apim_key_manager.keys.service import API_KEY, KeyRing

API_KEY_TOKEN_TYPE = "apiKey"


def sign_api_key(ring: KeyRing, issuer: str, body: APIKeyRequest) -> tuple[str, str]:
    """The key and its jti; it carries a snapshot of the application and its subscriptions."""
    now = int(time.time())
    jti = uuid.uuid4().hex
    subject = body.username if "@" in body.username else f"{body.username}@{body.tenant}"
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "tenant": body.tenant,
        "token_type": API_KEY_TOKEN_TYPE,
        "keytype": body.keyType,
        "application": body.application.model_dump(exclude_none=True),
        "subscribedAPIs": [api.model_dump() for api in body.subscribedAPIs],
        "tierInfo": body.tierInfo,
        "permittedIP": body.permittedIP,
        "permittedReferer": body.permittedReferer,
        "iat": now,
        "jti": jti,
    }
    if body.validityPeriod > 0:
        claims["exp"] = now + body.validityPeriod
    return ring.signers[API_KEY].sign(claims), jti
