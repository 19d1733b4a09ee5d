"""Service-to-service authentication: client-credentials tokens with scope ``apim:internal``.

The internal client's credentials derive from ``APIM_SECRET_KEY``, which every service of one
installation shares: the key manager registers the client on start, the others ask it for tokens.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

import httpx

from apim_common.security import INTERNAL_SCOPE

INTERNAL_CLIENT_ID = "apim-internal-services"


def internal_client_secret(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"apim-internal-client", hashlib.sha256).hexdigest()


class ServiceTokenProvider:
    """Fetches and caches a service token, renewing it a minute before it expires."""

    def __init__(self, http: httpx.AsyncClient, token_url: str, secret_key: str) -> None:
        self._http = http
        self._token_url = token_url
        self._auth = (INTERNAL_CLIENT_ID, internal_client_secret(secret_key))
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() > self._expires_at - 60:
                response = await self._http.post(
                    self._token_url,
                    data={"grant_type": "client_credentials", "scope": INTERNAL_SCOPE},
                    auth=self._auth,
                )
                response.raise_for_status()
                body = response.json()
                self._token = str(body["access_token"])
                self._expires_at = time.monotonic() + float(body.get("expires_in", 3600))
            return self._token

    async def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}"}
