"""The key manager's internal API, as devportal-api uses it: OAuth clients of applications, their
tokens, and API-key signing. One client per app, on the app's shared HTTP client."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from apim_common.errors import APIError, BadRequest, ServiceUnavailable
from apim_common.service_auth import ServiceTokenProvider

INTERNAL_PREFIX = "/api/am/keymanager/v1/internal"


class OAuthClient(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clientId: str
    clientSecret: str = ""
    grantTypes: list[str] = []
    callbackUrl: str = ""


class IssuedToken(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str
    scope: str = ""
    expires_in: int = 3600


class SignedApiKey(BaseModel):
    model_config = ConfigDict(extra="ignore")

    apikey: str
    validityTime: int
    jti: str


class KeyManagerError(APIError):
    status_code = 502
    default_message = "Key Manager Error"


class KeyManagerClient:
    """Reads the HTTP client from the app's state on each call, so it follows the one the app holds."""

    def __init__(self, state: Any, base_url: str, secret_key: str) -> None:
        self._state = state
        self._base = base_url.rstrip("/")
        self._secret_key = secret_key
        self._token_provider: ServiceTokenProvider | None = None
        # The HTTP client the provider was built on: when the app holds a new one, so does the provider.
        self._token_provider_http: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        http: httpx.AsyncClient = self._state.http
        return http

    @property
    def _tokens(self) -> ServiceTokenProvider:
        http = self._http
        provider = self._token_provider
        if provider is None or self._token_provider_http is not http:
            provider = ServiceTokenProvider(http, f"{self._base}/oauth2/token", self._secret_key)
            self._token_provider, self._token_provider_http = provider, http
        return provider

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            headers = await self._tokens.headers()
            response = await self._http.request(
                method, f"{self._base}{INTERNAL_PREFIX}{path}", headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The key manager could not be reached: {exc}") from exc
        if response.status_code >= 400:
            raise KeyManagerError(
                f"The key manager answered {response.status_code} to {method} {path}: {response.text[:300]}"
            )
        return response

    async def create_client(
        self,
        *,
        name: str,
        owner: str,
        grant_types: list[str],
        callback_url: str,
        application_id: str,
    ) -> OAuthClient:
        body = {
            "clientName": name,
            "owner": owner,
            "grantTypes": grant_types,
            "callbackUrl": callback_url,
            "applicationId": application_id,
        }
        response = await self._call("POST", "/clients", json=body)
        return OAuthClient.model_validate(response.json())

    async def get_client(
        self, client_id: str, *, owner: str, tenant: str, application_id: str | None = None
    ) -> OAuthClient | None:
        """The client, with its secret, if it is an application client of ``owner`` in ``tenant``
        (or was created for ``application_id``); None otherwise."""
        params = {"owner": owner, "tenant": tenant}
        if application_id is not None:
            params["applicationId"] = application_id
        try:
            response = await self._call("GET", f"/clients/{quote(client_id, safe='')}", params=params)
        except KeyManagerError:
            return None
        return OAuthClient.model_validate(response.json())

    async def update_client(
        self, client_id: str, *, grant_types: list[str], callback_url: str
    ) -> OAuthClient:
        body = {"grantTypes": grant_types, "callbackUrl": callback_url}
        response = await self._call("PUT", f"/clients/{client_id}", json=body)
        return OAuthClient.model_validate(response.json())

    async def delete_client(self, client_id: str) -> None:
        """Deleting a client makes the key manager revoke every token it issued to it."""
        await self._call("DELETE", f"/clients/{client_id}")

    async def regenerate_secret(self, client_id: str) -> OAuthClient:
        response = await self._call("POST", f"/clients/{client_id}/regenerate-secret")
        return OAuthClient.model_validate(response.json())

    async def client_credentials_token(
        self, client_id: str, client_secret: str, scopes: list[str], validity: int | None = None
    ) -> IssuedToken:
        data: dict[str, str] = {"grant_type": "client_credentials"}
        if scopes:
            data["scope"] = " ".join(scopes)
        if validity and validity > 0:
            data["validity_period"] = str(validity)
        try:
            response = await self._http.post(
                f"{self._base}/oauth2/token", data=data, auth=(client_id, client_secret)
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The key manager could not be reached: {exc}") from exc
        if response.status_code in (400, 401):
            raise BadRequest(
                f"The key manager refused the token request: {response.text[:300]}",
                message="Token Generation Failed",
            )
        if response.status_code >= 400:
            raise KeyManagerError(f"The key manager answered {response.status_code} to a token request")
        return IssuedToken.model_validate(response.json())

    async def sign_api_key(self, request: dict[str, Any]) -> SignedApiKey:
        response = await self._call("POST", "/api-keys", json=request)
        return SignedApiKey.model_validate(response.json())
