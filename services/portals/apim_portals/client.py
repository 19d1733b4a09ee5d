"""The portals' only way to the platform: its public REST APIs over HTTP, as the signed-in user.

Every call carries the user's bearer token (refreshed shortly before it expires) and the tenant the
user browses (``X-WSO2-Tenant``). A failed call raises ``ApiError`` with the API's own message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from apim_portals.sessions import Session, Tokens
from apim_portals.settings import Settings

DEVPORTAL = "/api/am/devportal/v3"
ANALYTICS_QUERY = "/api/am/analytics/v1/query"
REFRESH_MARGIN = 60.0


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, description: str = "", fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(description or message)
        self.status = status
        self.message = message
        self.description = description
        # The body's ``error`` list by field (its items' ``message``), for forms to show by input.
        self.fields = fields or {}

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error") or response.reason_phrase)
            description = str(body.get("description") or body.get("error_description") or "")
            fields: dict[str, str] = {}
            items = body.get("error")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("message"):
                    name = str(item["message"]).removeprefix("body.")
                    fields.setdefault(name, str(item.get("description") or item["message"]))
            return cls(response.status_code, message, description, fields)
        return cls(response.status_code, response.reason_phrase or "Error", response.text[:300])


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a token the portals received straight from the key manager's token endpoint."""
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def tokens_from(body: dict[str, Any]) -> Tokens:
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token"),
        expires_at=time.time() + float(body.get("expires_in", 3600)),
        scopes=frozenset(str(body.get("scope", "")).split()),
    )


class Platform:
    """Calls the REST APIs; one per app, sharing one HTTP client."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self._devportal = settings.devportal_url.rstrip("/") + DEVPORTAL
        self._key_manager = settings.key_manager_url.rstrip("/")
        self._cache: dict[tuple[str, ...], tuple[float, Any]] = {}
        # One refresh in flight per session: the key manager treats a second use of a refresh
        # token as a replay and revokes the whole family, which would sign the user out.
        self._refreshing: dict[int, asyncio.Lock] = {}

    async def cached(self, key: tuple[str, ...], ttl: float, load: Callable[[], Awaitable[Any]]) -> Any:
        """``load()``'s answer, reused for ``ttl`` seconds (side lists: tags, categories, tenants)."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = await load()
        if len(self._cache) > 10_000:
            self._cache.clear()
        if value:  # an empty list (a new install, a failed call) is asked again next time
            self._cache[key] = (now, value)
        return value

    # The key manager

    async def redeem(self, code: str, verifier: str, redirect_uri: str) -> Tokens:
        response = await self.http.post(
            f"{self._key_manager}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
                "client_id": self.settings.portal_client_id,
            },
        )
        if response.status_code != 200:
            raise ApiError.of(response)
        return tokens_from(response.json())

    async def _refresh(self, session: Session) -> None:
        tokens = session.tokens
        if tokens is None or tokens.refresh_token is None:
            return
        key = id(session)
        lock = self._refreshing.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if session.tokens is not tokens:
                    return  # refreshed (or signed out) by a request that went first
                response = await self.http.post(
                    f"{self._key_manager}/oauth2/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": tokens.refresh_token,
                        "client_id": self.settings.portal_client_id,
                    },
                )
                if response.status_code == 200:
                    session.tokens = tokens_from(response.json())
                else:
                    session.tokens = None  # the grant is gone: the user signs in again
        finally:
            if not lock.locked() and self._refreshing.get(key) is lock:
                del self._refreshing[key]

    async def revoke(self, tokens: Tokens) -> None:
        """Sign-out: the refresh token first (it can mint new access tokens), then the access token."""
        for token in (tokens.refresh_token, tokens.access_token):
            if token:
                await self.http.post(
                    f"{self._key_manager}/oauth2/revoke",
                    data={"token": token, "client_id": self.settings.portal_client_id},
                )

    # The DevPortal REST API

    async def _headers(self, session: Session | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if session is not None and session.tokens is not None:
            if session.tokens.expires_at - time.time() < REFRESH_MARGIN:
                await self._refresh(session)
            if session.tokens is not None:
                headers["Authorization"] = f"Bearer {session.tokens.access_token}"
        if session is not None and session.tenant:
            headers["X-WSO2-Tenant"] = session.tenant
        return headers

    async def devportal(
        self,
        method: str,
        path: str,
        session: Session | None,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        tenant: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Any:
        """The decoded JSON answer (a str for text answers, None for an empty one).

        ``on_behalf_of``: the browser's address, forwarded where the API limits each caller
        (the marketplace assistant), so that visitors are not counted as the portals' one address.
        """
        headers = await self._headers(session)
        if tenant:
            headers["X-WSO2-Tenant"] = tenant
        if on_behalf_of:
            headers["X-Forwarded-For"] = on_behalf_of
        response = await self.http.request(
            method, f"{self._devportal}{path}", params=params, json=json, headers=headers
        )
        if response.status_code >= 400:
            raise ApiError.of(response)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    async def rest(
        self,
        base: str,
        method: str,
        path: str,
        session: Session | None,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        """A call to the Publisher or Admin REST API (``base`` is its path prefix) as the user."""
        root = self.settings.publisher_url if "/publisher/" in base else self.settings.admin_url
        response = await self.http.request(
            method,
            f"{root.rstrip('/')}{base}{path}",
            params=params,
            json=json,
            data=data,
            files=files,
            headers=await self._headers(session),
        )
        if response.status_code >= 400:
            raise ApiError.of(response)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    async def analytics(self, params: dict[str, Any], session: Session | None) -> dict[str, Any]:
        """One answer of the analytics query API, scoped by the query API to what the user may see."""
        root = self.settings.analytics_url or self.settings.admin_url
        response = await self.http.get(
            f"{root.rstrip('/')}{ANALYTICS_QUERY}", params=params, headers=await self._headers(session)
        )
        if response.status_code >= 400:
            raise ApiError.of(response)
        body: dict[str, Any] = response.json()
        return body

    async def devportal_raw(self, path: str, session: Session | None) -> httpx.Response:
        return await self.http.get(f"{self._devportal}{path}", headers=await self._headers(session))
