"""An environment's REST APIs over httpx with its token; failures raise ApiError / ConnectionFailed."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from apimctl.config import Credentials, Environment
from apimctl.errors import ApiError, ConnectionFailed, UsageError

# What apimctl asks for at login; the key manager drops those the user's roles do not allow.
SCOPES = (
    "apim:api_view apim:api_create apim:api_publish apim:api_manage apim:api_delete apim:api_import_export "
    "apim:api_list_view apim:api_definition_view apim:api_product_import_export apim:document_create "
    "apim:document_manage apim:publisher_settings apim:subscribe apim:app_manage apim:sub_manage "
    "apim:app_import_export apim:admin apim:environment_read"
)
CLIENT_NAME = "apimctl_rest_client"
TIMEOUT = float(os.environ.get("APIMCTL_TIMEOUT", "60"))


def _verify() -> bool:
    return os.environ.get("APIMCTL_INSECURE", "").lower() not in ("1", "true", "yes")


def error_of(response: httpx.Response) -> ApiError:
    """The platform's ``{code, message, description}``, or the HTTP status when the body is not that."""
    code: str | None = None
    message = response.reason_phrase or "Error"
    description = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body["code"]) if body.get("code") is not None else None
        message = str(body.get("message") or body.get("error") or message)
        description = str(body.get("description") or body.get("error_description") or "")
    elif response.text:
        description = response.text[:300]
    return ApiError(response.status_code, code, message, description)


def _send(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ConnectionFailed(f"{method} {url} timed out") from exc
    except httpx.HTTPError as exc:
        raise ConnectionFailed(f"Cannot reach {url}: {exc}") from exc


def register_client(env: Environment, username: str, password: str) -> tuple[str, str]:
    """WSO2 DCR with the user's Basic credentials: the REST client id and secret."""
    body = {
        "callbackUrl": "http://localhost",
        "clientName": CLIENT_NAME,
        "owner": username,
        "grantType": "client_credentials password refresh_token",
        "saasApp": True,
    }
    with httpx.Client(timeout=TIMEOUT, verify=_verify()) as http:
        response = _send(http, "POST", env.registration_url, json=body, auth=(username, password))
    if response.status_code >= 400:
        raise error_of(response)
    data = response.json()
    return str(data["clientId"]), str(data["clientSecret"])


def request_token(
    env: Environment, client_id: str, client_secret: str, form: dict[str, str]
) -> dict[str, Any]:
    with httpx.Client(timeout=TIMEOUT, verify=_verify()) as http:
        response = _send(http, "POST", env.token_url, data=form, auth=(client_id, client_secret))
    if response.status_code >= 400:
        raise error_of(response)
    token: dict[str, Any] = response.json()
    return token


def stored_token(
    token: dict[str, Any], client_id: str, client_secret: str, username: str | None
) -> dict[str, Any]:
    return {
        "clientId": client_id,
        "clientSecret": client_secret,
        "username": username,
        "accessToken": token["access_token"],
        "refreshToken": token.get("refresh_token"),
        "scope": token.get("scope", ""),
        "expiresAt": time.time() + float(token.get("expires_in") or 3600),
    }


class Client:
    """Calls to one environment; refreshes an expired token once with its refresh token."""

    def __init__(self, env: Environment, credentials: Credentials | None = None) -> None:
        self.env = env
        self.credentials = credentials or Credentials()
        self._http = httpx.Client(timeout=TIMEOUT, verify=_verify())
        self._token: dict[str, Any] | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def _access_token(self) -> str:
        if self._token is None:
            self._token = self.credentials.get(self.env.name)
        if self._token is None:
            raise UsageError(f"Not logged in to '{self.env.name}'; run `apimctl login {self.env.name}`")
        if time.time() > float(self._token.get("expiresAt", 0)) - 30:
            self._refresh()
        return str(self._token["accessToken"])

    def _refresh(self) -> None:
        assert self._token is not None
        refresh = self._token.get("refreshToken")
        if not refresh:
            raise UsageError(
                f"The token for '{self.env.name}' has expired; run `apimctl login {self.env.name}`"
            )
        try:
            token = request_token(
                self.env,
                str(self._token["clientId"]),
                str(self._token["clientSecret"]),
                {"grant_type": "refresh_token", "refresh_token": str(refresh)},
            )
        except ApiError as exc:
            raise UsageError(
                f"The session for '{self.env.name}' has ended ({exc.message}); "
                f"run `apimctl login {self.env.name}`"
            ) from exc
        self._token = stored_token(
            token, str(self._token["clientId"]), str(self._token["clientSecret"]), self._token.get("username")
        )
        self.credentials.set(self.env.name, self._token)

    def request(
        self, method: str, service: str, path: str, *, ok: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """The response, or ApiError for a status >= 400 that is not listed in ``ok``."""
        url = self.env.base(service) + path
        headers = {"Authorization": f"Bearer {self._access_token()}", **kwargs.pop("headers", {})}
        response = _send(self._http, method, url, headers=headers, **kwargs)
        if response.status_code >= 400 and response.status_code not in ok:
            raise error_of(response)
        return response

    def json(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, service, path, **kwargs).json()

    def list_all(self, service: str, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a paginated WSO2 list."""
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.json("GET", service, path, params={**(params or {}), "limit": 100, "offset": offset})
            batch = list(page.get("list") or [])
            items.extend(batch)
            total = (page.get("pagination") or {}).get("total")
            offset += len(batch)
            if not batch or total is None or offset >= int(total):
                return items
