"""``/api/am/service-catalog/v1/services``: a tenant's catalog of backend services with their
definitions; and the Publisher's ``/apis/import-service`` and ``/apis/{apiId}/reimport-service``,
which make an API from a service and bring it in step with the service again."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Form, Query, Request, Response, UploadFile
from pydantic import ValidationError

from apim_common.db import SessionDep
from apim_common.downloads import attachment
from apim_common.errors import BadRequest
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.endpoints import location
from apim_publisher.apis.schemas import APIInfo, APIPublic
from apim_publisher.servicecatalog import service
from apim_publisher.servicecatalog.schemas import ServiceBody, ServiceInfo, ServicePublic

PREFIX = "/api/am/service-catalog/v1"
router = APIRouter(prefix=PREFIX, tags=["Services"])
api_router = APIRouter(tags=["APIs"])

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MEDIA_TYPES = {
    "OAS2": "application/json",
    "OAS3": "application/json",
    "ASYNC_API": "application/json",
    "GRAPHQL_SDL": "text/plain",
    "WSDL1": "text/xml",
    "WSDL2": "text/xml",
}


def _metadata(raw: str) -> ServiceBody:
    try:
        return ServiceBody.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise BadRequest(f"serviceMetadata is not valid JSON: {exc}", message="Invalid service") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'serviceMetadata'}: {e['msg']}" for e in exc.errors()
        )
        raise BadRequest(f"serviceMetadata: {problems}", message="Invalid service") from exc


async def _definition(definitionFile: UploadFile | None, inlineContent: str | None) -> bytes:
    if (definitionFile is None) == (inlineContent is None):
        raise BadRequest("Give exactly one of definitionFile or inlineContent", message="Invalid service")
    if inlineContent is not None:
        return inlineContent.encode()
    assert definitionFile is not None
    return await definitionFile.read(service.MAX_DEFINITION_BYTES + 1)


Metadata = Annotated[str, Form()]
DefinitionFile = Annotated[UploadFile | None, File()]
InlineContent = Annotated[str | None, Form()]


@router.get("/services", response_model=Page[ServicePublic])
async def list_services(
    request: Request,
    session: SessionDep,
    principal: scopes.ServiceRead,
    page: PageDep,
    name: str | None = None,
    version: str | None = None,
    definitionType: str | None = None,
    key: str | None = None,
    sortBy: Literal["name", "definitionType"] = "name",
    sortOrder: Literal["asc", "desc"] = "asc",
) -> Page[ServicePublic]:
    found = [
        s
        for s in await service.of_tenant(session, principal)
        if (name is None or s.name.lower() == name.lower())
        and (version is None or s.version == version)
        and (definitionType is None or s.definition_type == definitionType)
        and (key is None or s.service_key == key)
    ]
    found.sort(
        key=lambda s: (s.name.lower() if sortBy == "name" else s.definition_type, s.version),
        reverse=sortOrder == "desc",
    )
    items = [await service.public(session, s) for s in found[page.offset : page.offset + page.limit]]
    return Page[ServicePublic].of(
        items, total=len(found), limit=page.limit, offset=page.offset, path=request.url.path
    )


@router.post("/services", status_code=201, response_model=ServicePublic)
async def create_service(
    response: Response,
    session: SessionDep,
    principal: scopes.ServiceWrite,
    serviceMetadata: Metadata,
    definitionFile: DefinitionFile = None,
    inlineContent: InlineContent = None,
) -> ServicePublic:
    body = _metadata(serviceMetadata)
    created = await service.create(session, principal, body, await _definition(definitionFile, inlineContent))
    response.headers["Location"] = f"{PREFIX}/services/{created.id}"
    return await service.public(session, created)


@router.post("/services/import", response_model=Page[ServiceInfo])
async def import_services(
    session: SessionDep,
    principal: scopes.ServiceWrite,
    file: Annotated[UploadFile, File()],
    overwrite: bool = False,
) -> Page[ServiceInfo]:
    """A zip as ``/services/export`` writes it, one folder per service; ``overwrite`` updates the
    services whose keys exist."""
    content = await file.read(MAX_ARCHIVE_BYTES + 1)
    if len(content) > MAX_ARCHIVE_BYTES:
        raise BadRequest("The archive is larger than 50 MiB", message="Invalid archive")
    imported = await service.import_archive(session, principal, content, overwrite=overwrite)
    items = [
        ServiceInfo(id=s.id, name=s.name, version=s.version, serviceKey=s.service_key, md5=s.md5)
        for s in imported
    ]
    return Page[ServiceInfo].of(items, total=len(items), limit=max(len(items), 1), offset=0)


@router.get("/services/export")
async def export_service(
    session: SessionDep, principal: scopes.ServiceRead, name: str, version: str
) -> Response:
    found = await service.named(session, principal, name, version)
    return Response(
        service.export_archive(found),
        media_type="application/zip",
        headers=attachment(f"{found.service_key}.zip"),
    )


@router.get("/services/{serviceId}", response_model=ServicePublic)
async def get_service(serviceId: str, session: SessionDep, principal: scopes.ServiceRead) -> ServicePublic:
    return await service.public(session, await service.get(session, principal, serviceId))


@router.put("/services/{serviceId}", response_model=ServicePublic)
async def update_service(
    serviceId: str,
    session: SessionDep,
    principal: scopes.ServiceWrite,
    serviceMetadata: Metadata,
    definitionFile: DefinitionFile = None,
    inlineContent: InlineContent = None,
) -> ServicePublic:
    found = await service.get(session, principal, serviceId)
    body = _metadata(serviceMetadata)
    definition = await _definition(definitionFile, inlineContent)
    return await service.public(session, await service.update(session, principal, found, body, definition))


@router.delete("/services/{serviceId}", status_code=204)
async def delete_service(serviceId: str, session: SessionDep, principal: scopes.ServiceWrite) -> Response:
    await service.delete(session, await service.get(session, principal, serviceId))
    return Response(status_code=204)


@router.get("/services/{serviceId}/definition")
async def get_definition(serviceId: str, session: SessionDep, principal: scopes.ServiceRead) -> Response:
    found = await service.get(session, principal, serviceId)
    return Response(found.definition, media_type=MEDIA_TYPES.get(found.definition_type, "text/plain"))


@router.get("/services/{serviceId}/usage", response_model=Page[APIInfo], response_model_exclude_none=True)
async def get_usage(
    serviceId: str, request: Request, session: SessionDep, principal: scopes.ServiceRead, page: PageDep
) -> Page[APIInfo]:
    used = await service.usage(session, principal, await service.get(session, principal, serviceId))
    items = [views.info(a) for a in used[page.offset : page.offset + page.limit]]
    return Page[APIInfo].of(
        items, total=len(used), limit=page.limit, offset=page.offset, path=request.url.path
    )


@api_router.post("/apis/import-service", status_code=201, response_model=APIPublic)
async def import_service(
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    serviceKey: Annotated[str, Query(min_length=1, max_length=512)],
    body: Annotated[dict[str, Any], Body()],
) -> APIPublic:
    """An API made from the catalog service ``serviceKey``; the body is the API's own fields."""
    api = await service.import_as_api(session, principal, serviceKey, body)
    response.headers["Location"] = location(api.id)
    response.headers["ETag"] = views.etag(api)
    return views.public(api)


@api_router.put("/apis/{apiId}/reimport-service", response_model=APIPublic)
async def reimport_service(
    apiId: str, response: Response, session: SessionDep, principal: scopes.ApiCreate
) -> APIPublic:
    api = await service.reimport(session, principal, await apis.get(session, principal, apiId))
    response.headers["ETag"] = views.etag(api)
    return views.public(api)
