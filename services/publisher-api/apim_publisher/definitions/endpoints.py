"""OpenAPI import and validation, the API's definition (``/swagger``) and export."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from apim_common.db import SessionDep
from apim_common.downloads import attachment
from apim_common.errors import BadRequest, ErrorListItem
from apim_publisher import scopes
from apim_publisher.apis import access, views
from apim_publisher.apis import service as apis
from apim_publisher.apis.endpoints import location
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import APIPublic
from apim_publisher.common import check_if_match, not_modified
from apim_publisher.definitions import openapi, service
from apim_publisher.definitions.schemas import OpenAPIDefinitionValidationResponse
from apim_publisher.definitions.sources import OptionalFile, OptionalForm, read_request
from apim_publisher.importexport import service as project

router = APIRouter(tags=["APIs"])


@router.post("/apis/import-openapi", status_code=201, response_model=APIPublic)
async def import_openapi(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    url: OptionalForm = None,
    inlineAPIDefinition: OptionalForm = None,
    additionalProperties: OptionalForm = None,
) -> APIPublic:
    raw = await read_request(request, file, url=url, inline=inlineAPIDefinition)
    document, _ = await service.load_valid(raw)
    api = await service.import_api(session, principal, document, additionalProperties)
    response.headers["Location"] = location(api.id)
    return views.public(api)


@router.post("/apis/validate-openapi", response_model=OpenAPIDefinitionValidationResponse)
async def validate_openapi(
    request: Request,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    url: OptionalForm = None,
    inlineAPIDefinition: OptionalForm = None,
    returnContent: bool = False,
) -> OpenAPIDefinitionValidationResponse:
    raw = await read_request(request, file, url=url, inline=inlineAPIDefinition)
    document, errors = await service.check(raw)
    if errors:
        return OpenAPIDefinitionValidationResponse(
            isValid=False,
            errors=[
                ErrorListItem(code="900754", message="Invalid OpenAPI definition", description=e)
                for e in errors
            ],
        )
    assert document is not None
    return OpenAPIDefinitionValidationResponse(
        isValid=True,
        info=openapi.describe(document),
        content=json.dumps(document) if returnContent else None,
    )


@router.get("/apis/{apiId}/swagger")
async def get_swagger(
    apiId: str,
    session: SessionDep,
    principal: scopes.DefinitionRead,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    api = await apis.get(session, principal, apiId)
    tag = views.etag(api)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    return Response(
        openapi.dump(api.definition or {}, "JSON"), media_type="application/json", headers={"ETag": tag}
    )


@router.put("/apis/{apiId}/swagger")
async def put_swagger(
    apiId: str,
    request: Request,
    session: SessionDep,
    principal: scopes.ApiCreate,
    apiDefinition: OptionalForm = None,
    url: OptionalForm = None,
    file: OptionalFile = None,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    api = await apis.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    raw = await read_request(request, file, url=url, inline=apiDefinition)
    document, _ = await service.load_valid(raw)
    api = await apis.set_definition(session, principal, api, document)
    return Response(
        openapi.dump(document, "JSON"), media_type="application/json", headers={"ETag": views.etag(api)}
    )


@router.get("/apis/export")
async def export_api(
    session: SessionDep,
    principal: scopes.ApiExport,
    apiId: Annotated[str | None, Query()] = None,
    name: str | None = None,
    version: str | None = None,
    format: Annotated[str, Query(pattern="^(JSON|YAML|json|yaml)$")] = "YAML",
) -> Response:
    if apiId:
        api = await apis.get(session, principal, apiId)
    elif name and version:
        matches = [
            a
            for a in await APIRepository(session).with_name(principal.tenant, name)
            if a.version == version and access.allows(principal, a)
        ]
        if not matches:
            raise BadRequest(f"No API '{name}' with version '{version}'")
        api = matches[0]
    else:
        raise BadRequest("Give apiId, or name and version")
    archive = await project.export_archive(session, api, format)
    filename = f"{api.name.replace(' ', '')}_{api.version}.zip"
    return Response(archive, media_type="application/zip", headers=attachment(filename))
