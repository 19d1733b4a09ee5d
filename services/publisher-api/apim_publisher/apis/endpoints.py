"""``/apis``: create, read, search, update and delete APIs, copy a version, thumbnails, owners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import Page, PageDep
from apim_common.security import InternalPrincipal
from apim_publisher import scopes
from apim_publisher.apis import service, views
from apim_publisher.apis.endpoint_security import SecretsDep
from apim_publisher.apis.listing import ListedApisDep
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import APIBody, APIInfo, APIPublic, FileInfo, ResourcePath
from apim_publisher.apis.search import search
from apim_publisher.common import check_if_match, not_modified
from apim_publisher.revisions import service as revisions

PREFIX = "/api/am/publisher/v4"
router = APIRouter(tags=["APIs"])
internal_router = APIRouter(prefix="/internal", tags=["Internal"])

IfMatch = Annotated[str | None, Header(alias="If-Match")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]


def location(api_id: str) -> str:
    return f"{PREFIX}/apis/{api_id}"


def created(response: Response, api: API) -> APIPublic:
    """A new API's answer: its public view, with its Location and ETag."""
    response.headers["Location"] = location(api.id)
    response.headers["ETag"] = views.etag(api)
    return views.public(api)


@router.get("/apis", response_model=Page[APIInfo], response_model_exclude_none=True)
async def list_apis(
    request: Request,
    session: SessionDep,
    principal: scopes.ApiList,
    page: PageDep,
    kept: ListedApisDep,
    query: str | None = None,
    sortBy: str | None = None,
    sortOrder: str | None = None,
) -> Page[APIInfo]:
    found, total = await service.listing(
        session, principal, kept, query, sortBy, sortOrder, page.offset, page.limit
    )
    items = [views.info(a) for a in found]
    return Page[APIInfo].of(items, total=total, limit=page.limit, offset=page.offset, path=request.url.path)


@router.post("/apis", status_code=201, response_model=APIPublic)
async def create_api(
    body: APIBody,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    secrets: SecretsDep,
    openAPIVersion: Annotated[str, Query(pattern="^v[23]$")] = "v3",
) -> APIPublic:
    api = await service.create(session, principal, body, swagger2=openAPIVersion == "v2", secrets=secrets)
    return created(response, api)


@router.get("/apis/{apiId}", response_model=APIPublic)
async def get_api(
    apiId: str,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiRead,
    if_none_match: IfNoneMatch = None,
) -> APIPublic | Response:
    api = await service.get(session, principal, apiId)
    tag = views.etag(api)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    response.headers["ETag"] = tag
    return views.public(api)


@router.put("/apis/{apiId}", response_model=APIPublic)
async def update_api(
    apiId: str,
    body: APIBody,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiUpdate,
    secrets: SecretsDep,
    if_match: IfMatch = None,
) -> APIPublic:
    api = await service.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    api = await service.update(session, principal, api, body, secrets=secrets)
    response.headers["ETag"] = views.etag(api)
    return views.public(api)


@router.delete("/apis/{apiId}", status_code=200)
async def delete_api(
    apiId: str,
    session: SessionDep,
    principal: scopes.ApiDelete,
    if_match: IfMatch = None,
) -> Response:
    api = await service.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    await revisions.delete_api(session, api)
    return Response(status_code=200)


@router.post("/apis/copy-api", status_code=201, response_model=APIPublic)
async def copy_api(
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    apiId: Annotated[str, Query(min_length=1)],
    newVersion: Annotated[str, Query(min_length=1)],
    defaultVersion: bool = False,
) -> APIPublic:
    source = await service.get(session, principal, apiId)
    api = await service.copy(session, principal, source, newVersion, defaultVersion)
    response.headers["Location"] = location(api.id)
    return views.public(api)


@router.get("/apis/{apiId}/thumbnail")
async def get_thumbnail(apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage) -> Response:
    api = await service.get(session, principal, apiId)
    if api.thumbnail is None:
        raise NotFound(f"API '{apiId}' has no thumbnail", message="Thumbnail Not Found")
    return Response(api.thumbnail, media_type=api.thumbnail_media_type or "application/octet-stream")


@router.put("/apis/{apiId}/thumbnail", response_model=FileInfo)
async def put_thumbnail(
    apiId: str,
    session: SessionDep,
    principal: scopes.ApiUpdate,
    file: Annotated[UploadFile, File()],
    if_match: IfMatch = None,
) -> FileInfo:
    api = await service.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    await service.set_thumbnail(session, principal, api, await file.read(), file.content_type or "")
    return FileInfo(relativePath=f"apis/{api.id}/thumbnail", mediaType=api.thumbnail_media_type or "")


@router.get("/apis/{apiId}/resource-paths", response_model=Page[ResourcePath])
async def resource_paths(
    apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage, page: PageDep
) -> Page[ResourcePath]:
    api = await service.get(session, principal, apiId)
    operations = api.spec.get("operations") or []
    items = [
        ResourcePath(id=i, resourcePath=str(op.get("target")), httpVerb=str(op.get("verb")))
        for i, op in enumerate(operations)
    ]
    window = items[page.offset : page.offset + page.limit]
    return Page[ResourcePath].of(window, total=len(items), limit=page.limit, offset=page.offset)


@router.get("/apis/{apiId}/subscription-policies")
async def subscription_policies(
    apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage
) -> list[dict[str, str]]:
    api = await service.get(session, principal, apiId)
    return [
        {"name": p, "displayName": p, "policyLevel": "subscription"} for p in api.spec.get("policies") or []
    ]


@internal_router.get("/apis", response_model=Page[APIInfo], response_model_exclude_none=True)
async def internal_list_apis(
    request: Request,
    session: SessionDep,
    _: InternalPrincipal,
    page: PageDep,
    tenant: str | None = None,
    query: str | None = None,
) -> Page[APIInfo]:
    found = search(await APIRepository(session).of_tenant(tenant), query, "apiName")
    items = [views.info(a) for a in found[page.offset : page.offset + page.limit]]
    return Page[APIInfo].of(
        items, total=len(found), limit=page.limit, offset=page.offset, path=request.url.path
    )


@internal_router.post("/apis/{apiId}/change-provider", response_model=APIPublic)
async def internal_change_provider(
    apiId: str,
    session: SessionDep,
    _: InternalPrincipal,
    provider: Annotated[str, Query(min_length=1)],
    tenant: Annotated[str, Query(min_length=1)],
) -> APIPublic:
    """The tenant is the calling administrator's: an API of another tenant is not found."""
    api = await APIRepository(session).get(apiId)
    if api is None or api.tenant != tenant:
        raise service.not_found(apiId)
    return views.public(await service.change_provider(session, api, provider))
