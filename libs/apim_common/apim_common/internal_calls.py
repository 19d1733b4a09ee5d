"""Calls to other services' internal endpoints with a service token from the key manager."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

from apim_common.errors import APIError, BadRequest, Conflict, NotFound, ServiceUnavailable
from apim_common.service_auth import ServiceTokenProvider
from apim_common.settings import ServiceSettings


def _tokens(request: Request) -> ServiceTokenProvider:
    """One provider per HTTP client of the app, created on first use."""
    state = request.app.state
    http: httpx.AsyncClient = state.http
    cached: tuple[httpx.AsyncClient, ServiceTokenProvider] | None = getattr(state, "service_tokens", None)
    if cached is None or cached[0] is not http:
        settings: ServiceSettings = state.settings
        provider = ServiceTokenProvider(
            http, f"{settings.key_manager_url.rstrip('/')}/oauth2/token", settings.secret()
        )
        cached = (http, provider)
        state.service_tokens = cached
    return cached[1]


def _error(response: httpx.Response, what: str) -> APIError:
    try:
        detail = str(response.json().get("description") or response.text)
    except ValueError:
        detail = response.text
    if response.status_code == 404:
        return NotFound(detail or f"{what} was not found")
    if response.status_code == 409:
        return Conflict(detail or f"{what} already exists")
    if response.status_code == 400:
        return BadRequest(detail)
    return ServiceUnavailable(f"{what} failed: HTTP {response.status_code}")


async def call(
    request: Request,
    method: str,
    url: str,
    what: str,
    *,
    params: dict[str, Any] | None = None,
    json: Any = None,
) -> Any:
    """Send one internal request; map the other service's refusal to our error, answer its JSON."""
    http: httpx.AsyncClient = request.app.state.http
    try:
        headers = await _tokens(request).headers()
        response = await http.request(
            method,
            url,
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=json,
            headers=headers,
        )
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"{what} failed: {exc}") from exc
    if response.status_code >= 400:
        raise _error(response, what)
    return response.json() if response.content else None


async def fetch(
    request: Request, url: str, what: str, *, params: dict[str, Any] | None = None
) -> httpx.Response:
    """GET one internal resource as it is (a file, not JSON); a refusal maps as in :func:`call`."""
    http: httpx.AsyncClient = request.app.state.http
    try:
        headers = await _tokens(request).headers()
        response = await http.get(
            url, params={k: v for k, v in (params or {}).items() if v is not None}, headers=headers
        )
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"{what} failed: {exc}") from exc
    if response.status_code >= 400:
        raise _error(response, what)
    return response
