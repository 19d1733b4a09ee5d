"""AsyncAPI definitions: validation, import as a streaming API, the definition and topics of an API."""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated

import yaml  # type: ignore[import-untyped]
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.events import asyncapi as platform_events
from apim_common.security import Principal, require_scopes
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.endpoints import created
from apim_publisher.apis.schemas import APIPublic
from apim_publisher.asyncapi import document as asyncapi
from apim_publisher.asyncapi import service
from apim_publisher.asyncapi.schemas import AsyncAPIValidationResponse, TopicListIn
from apim_publisher.common import check_if_match
from apim_publisher.definitions.sources import OptionalFile, OptionalForm, read_request

router = APIRouter(tags=["Validation", "APIs"])

TopicsUpdate = Annotated[
    Principal, Depends(require_scopes(scopes.API_CREATE, scopes.API_MANAGE, scopes.API_IMPORT_EXPORT))
]


@cache
def _platform_events_yaml(bootstrap_servers: str, topic_prefix: str) -> str:
    document = platform_events.document(bootstrap_servers=bootstrap_servers, topic_prefix=topic_prefix)
    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


@router.get("/events/asyncapi.yaml")
async def get_platform_events(request: Request, principal: scopes.ApiList) -> Response:
    """The platform's own events (every topic, event type, key and payload schema) as AsyncAPI 3.0,
    for this deployment's broker and topic prefix; importable with ``POST /apis/import-asyncapi``."""
    settings = request.app.state.settings
    content = _platform_events_yaml(settings.kafka_bootstrap_servers, settings.kafka_topic_prefix)
    return Response(content, media_type="application/yaml")


@router.post("/apis/validate-asyncapi", response_model=AsyncAPIValidationResponse)
async def validate_asyncapi(
    request: Request,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    url: OptionalForm = None,
    inlineAPIDefinition: OptionalForm = None,
    returnContent: bool = False,
) -> AsyncAPIValidationResponse:
    raw = await read_request(request, file, url=url, inline=inlineAPIDefinition)
    document, errors = await service.check(raw)
    if errors or document is None:
        return AsyncAPIValidationResponse(isValid=False, errors=service.error_items(errors))
    content = None
    if returnContent:
        content = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    return AsyncAPIValidationResponse(isValid=True, info=asyncapi.info(document), content=content)


@router.post("/apis/import-asyncapi", status_code=201, response_model=APIPublic)
async def import_asyncapi(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    url: OptionalForm = None,
    additionalProperties: OptionalForm = None,
) -> APIPublic:
    raw = await read_request(request, file, url=url)
    document = await service.load_valid(raw)
    api = await service.import_api(session, principal, document, additionalProperties)
    return created(response, api)


@router.get("/apis/{apiId}/asyncapi")
async def get_asyncapi(apiId: str, session: SessionDep, principal: scopes.DefinitionRead) -> JSONResponse:
    api = await apis.get(session, principal, apiId)
    if not api.spec.get("asyncapi"):
        raise NotFound(
            f"API '{api.name}' has no AsyncAPI definition", message="AsyncAPI definition not found"
        )
    return JSONResponse(api.spec["asyncapi"], headers={"ETag": views.etag(api)})


@router.put("/apis/{apiId}/asyncapi")
async def put_asyncapi(
    apiId: str,
    request: Request,
    session: SessionDep,
    principal: scopes.ApiCreate,
    file: OptionalFile = None,
    url: OptionalForm = None,
    apiDefinition: OptionalForm = None,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    api = await apis.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    raw = await read_request(request, file, url=url, inline=apiDefinition)
    document = await service.load_valid(raw)
    api = await service.set_definition(session, principal, api, document)
    return Response(json.dumps(document), media_type="application/json", headers={"ETag": views.etag(api)})


@router.put("/apis/{apiId}/topics", response_model=APIPublic)
async def put_topics(
    apiId: str,
    body: TopicListIn,
    response: Response,
    session: SessionDep,
    principal: TopicsUpdate,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> APIPublic:
    api = await apis.get(session, principal, apiId)
    check_if_match(if_match, views.etag(api))
    api = await service.set_topics(session, principal, api, body.list)
    response.headers["ETag"] = views.etag(api)
    return views.public(api)
