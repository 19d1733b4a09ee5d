"""Forwards to publisher-api's and devportal-api's internal endpoints (docs/contracts.md).

Every forward carries the calling administrator's tenant, which the other service enforces; a
new owner or provider must be an active user of that tenant, as the key manager says."""

from typing import Any
from urllib.parse import quote

from fastapi import Request

from apim_admin.ownership.schemas import (
    ApiResult,
    ApplicationAdminView,
    ApplicationInfo,
    ApplicationList,
    SearchResultList,
)
from apim_common.errors import BadRequest, NotFound
from apim_common.internal_calls import call
from apim_common.pagination import Pagination
from apim_common.settings import ServiceSettings

PUBLISHER_INTERNAL = "/api/am/publisher/v4/internal"
DEVPORTAL_INTERNAL = "/api/am/devportal/v3/internal"
KEY_MANAGER_INTERNAL = "/api/am/keymanager/v1/internal"


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def _items(body: Any, *keys: str) -> list[dict[str, Any]]:
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)]
    if isinstance(body, dict):
        for key in keys:
            if isinstance(body.get(key), list):
                return [i for i in body[key] if isinstance(i, dict)]
    return []


def _pagination(body: Any, count: int, limit: int, offset: int) -> Pagination:
    given = body.get("pagination") if isinstance(body, dict) else None
    total = int(given.get("total", count)) if isinstance(given, dict) else count
    return Pagination(offset=offset, limit=limit, total=total)


async def apis(request: Request, tenant: str, query: str | None, limit: int, offset: int) -> SearchResultList:
    url = f"{_settings(request).publisher_url.rstrip('/')}{PUBLISHER_INTERNAL}/apis"
    body = await call(
        request,
        "GET",
        url,
        "API listing",
        params={"tenant": tenant, "query": query, "limit": limit, "offset": offset},
    )
    results = [ApiResult.model_validate(i) for i in _items(body, "list", "apis")]
    return SearchResultList(
        apis=results, count=len(results), pagination=_pagination(body, len(results), limit, offset)
    )


async def user_of_tenant(request: Request, tenant: str, username: str) -> str:
    """The name ``username`` goes by as a user of ``tenant`` (``bob``, or ``bob@acme.com`` in a
    tenant); 400 when the key manager knows no such active user there, so that nothing is ever
    handed to a user of another tenant or to nobody."""
    base = f"{_settings(request).key_manager_url.rstrip('/')}{KEY_MANAGER_INTERNAL}"
    url = f"{base}/users/{quote(username, safe='')}"
    try:
        found = await call(request, "GET", url, f"User {username}", params={"tenant": tenant})
    except NotFound as exc:
        raise BadRequest(
            f"User {username} does not exist in tenant {tenant}", message="Invalid User"
        ) from exc
    return str(found["username"]) if isinstance(found, dict) and found.get("username") else username


async def change_provider(request: Request, tenant: str, api_id: str, provider: str) -> None:
    provider = await user_of_tenant(request, tenant, provider)
    url = f"{_settings(request).publisher_url.rstrip('/')}{PUBLISHER_INTERNAL}/apis/{api_id}/change-provider"
    await call(request, "POST", url, f"API {api_id}", params={"provider": provider, "tenant": tenant})


async def applications(
    request: Request, tenant: str, filters: dict[str, Any], limit: int, offset: int
) -> ApplicationList:
    url = f"{_settings(request).devportal_url.rstrip('/')}{DEVPORTAL_INTERNAL}/applications"
    body = await call(
        request,
        "GET",
        url,
        "Application listing",
        params={**filters, "tenant": tenant, "limit": limit, "offset": offset},
    )
    items = []
    for raw in _items(body, "list", "applications"):
        groups = raw.get("groups")
        group = ",".join(groups) if isinstance(groups, list) else str(raw.get("groupId") or "")
        items.append(
            ApplicationInfo(
                applicationId=str(raw.get("applicationId", "")),
                name=str(raw.get("name", "")),
                owner=str(raw.get("owner", "")),
                status=str(raw.get("status", "")),
                groupId=group,
            )
        )
    return ApplicationList(
        count=len(items), list=items, pagination=_pagination(body, len(items), limit, offset)
    )


async def change_owner(request: Request, tenant: str, application_id: str, owner: str) -> None:
    owner = await user_of_tenant(request, tenant, owner)
    base = f"{_settings(request).devportal_url.rstrip('/')}{DEVPORTAL_INTERNAL}"
    url = f"{base}/applications/{application_id}/change-owner"
    await call(
        request, "POST", url, f"Application {application_id}", params={"owner": owner, "tenant": tenant}
    )


async def application(request: Request, tenant: str, application_id: str) -> ApplicationAdminView:
    base = f"{_settings(request).devportal_url.rstrip('/')}{DEVPORTAL_INTERNAL}"
    body = await call(
        request,
        "GET",
        f"{base}/applications/{application_id}",
        f"Application {application_id}",
        params={"tenant": tenant},
    )
    return ApplicationAdminView.model_validate(body)


async def delete_application(request: Request, tenant: str, application_id: str) -> None:
    base = f"{_settings(request).devportal_url.rstrip('/')}{DEVPORTAL_INTERNAL}"
    await call(
        request,
        "DELETE",
        f"{base}/applications/{application_id}",
        f"Application {application_id}",
        params={"tenant": tenant},
    )
