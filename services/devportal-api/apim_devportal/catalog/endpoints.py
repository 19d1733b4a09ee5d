"""The catalog, WSO2 DevPortal v3 style: anonymous callers see PUBLIC APIs; a tenant is chosen with
``X-WSO2-Tenant`` (or ``/t/{tenant}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.internal_calls import fetch
from apim_common.pagination import Page, PageDep, Pagination
from apim_common.security import OptionalPrincipal
from apim_common.settings import ServiceSettings
from apim_devportal.catalog import graphql_schema, service, wsdl
from apim_devportal.catalog.schemas import (
    APICategory,
    APICategoryList,
    APIList,
    APIPublic,
    DocumentList,
    GraphQLCustomComplexityInfo,
    GraphQLQueryComplexityInfo,
    GraphQLSchemaType,
    GraphQLSchemaTypeList,
    SearchResult,
    SearchResultList,
    Tag,
    Topic,
)
from apim_devportal.common import RequestedTenant, catalog_tenant
from apim_devportal.deps import PREFIX, SearchIndexDep, SettingsDep
from apim_devportal.subscriptions.repository import SubscriptionRepository
from apim_devportal.throttling import service as tiers
from apim_devportal.throttling.schemas import ThrottlingPolicyPublic

router = APIRouter(tags=["APIs"])

QueryText = Annotated[str | None, Query(description="name:, tag:, description:, property:value, or words")]


def _pagination(total: int, limit: int, offset: int) -> Pagination:
    return Pagination(offset=offset, limit=limit, total=total)


@router.get("/apis")
async def list_apis(
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    index: SearchIndexDep,
    tenant: RequestedTenant,
    query: QueryText = None,
) -> APIList:
    who = await service.viewer(session, principal, tenant)
    found = await service.visible_apis(session, who, query, index)
    chunk = await service.rows(session, [api for api, _ in found[page.offset : page.offset + page.limit]])
    ratings = await service.ratings(session, chunk)
    items = [service.info(api, ratings.get(api.id), PREFIX) for api in chunk]
    return APIList(count=len(items), list=items, pagination=_pagination(len(found), page.limit, page.offset))


@router.get("/apis/{apiId}")
async def get_api(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    settings: SettingsDep,
) -> APIPublic:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    ratings = await service.ratings(session, [api])
    subscriptions = len(await SubscriptionRepository(session).of_api(api.id))
    policies = await tiers.policies(session, api.tenant, "subscription")
    return service.detail(api, ratings.get(api.id), subscriptions, settings.gateway_url, policies)


@router.get("/apis/{apiId}/swagger")
async def get_swagger(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    settings: SettingsDep,
    environmentName: str | None = None,
) -> Response:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    return Response(service.openapi_definition(api, settings.gateway_url), media_type="application/json")


def _text_definition(apiId: str, api_data: dict[str, object], keys: tuple[str, ...], what: str) -> str:
    for key in keys:
        value = api_data.get(key)
        if isinstance(value, str) and value:
            return value
    raise NotFound(f"API {apiId} has no {what}")


@router.get("/apis/{apiId}/async-api-specification")
async def get_async_api_specification(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    environmentName: str | None = None,
) -> Response:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    text = _text_definition(
        apiId, api.data, ("asyncApiDefinition", "asyncapiDefinition"), "AsyncAPI definition"
    )
    return Response(text, media_type="application/json")


@router.get("/apis/{apiId}/graphql-schema")
async def get_graphql_schema(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> PlainTextResponse:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    return PlainTextResponse(
        _text_definition(apiId, api.data, ("graphQLSchema", "schemaDefinition"), "GraphQL schema")
    )


@router.get("/apis/{apiId}/wsdl")
async def get_wsdl(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    settings: SettingsDep,
    environmentName: str | None = None,
) -> Response:
    """The WSDL with its service addresses pointing at the gateway of ``environmentName`` (else the
    first environment the API is deployed to; as stored when it is deployed nowhere)."""
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    text = _text_definition(apiId, api.data, ("wsdlDefinition", "wsdl"), "WSDL")
    endpoints = service.endpoint_urls(api, settings.gateway_url)
    if environmentName is not None:
        endpoints = [e for e in endpoints if e.environmentName == environmentName]
        if not endpoints:
            raise NotFound(f"API {apiId} is not deployed to the environment {environmentName!r}")
    if endpoints:
        urls = endpoints[0].URLs
        text = wsdl.through_gateway(text, urls.https or urls.http or "")
    return Response(text, media_type="text/xml")


@router.get("/apis/{apiId}/documents")
async def list_documents(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, page: PageDep, tenant: RequestedTenant
) -> DocumentList:
    who = await service.viewer(session, principal, tenant)
    docs = await service.documents(session, await service.visible_api(session, who, apiId))
    chunk = docs[page.offset : page.offset + page.limit]
    return DocumentList(
        count=len(chunk), list=chunk, pagination=_pagination(len(docs), page.limit, page.offset)
    )


@router.get("/apis/{apiId}/documents/{documentId}")
async def get_document(
    apiId: str, documentId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> JSONResponse:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    for doc in await service.documents(session, api):
        if doc.documentId == documentId:
            return JSONResponse(doc.model_dump())
    raise NotFound(f"Requested document with id '{documentId}' not found")


async def _document_file(request: Request, api_id: str, document_id: str) -> Response:
    """Files are too large for the document events: the publisher serves them on its internal API."""
    settings: ServiceSettings = request.app.state.settings
    base = f"{settings.publisher_url.rstrip('/')}/api/am/publisher/v4/internal"
    url = f"{base}/apis/{api_id}/documents/{document_id}/file"
    found = await fetch(request, url, f"Document {document_id}")
    headers = {k: v for k, v in found.headers.items() if k.lower() == "content-disposition"}
    return Response(
        found.content,
        media_type=found.headers.get("content-type", "application/octet-stream"),
        headers=headers,
    )


@router.get("/apis/{apiId}/documents/{documentId}/content")
async def get_document_content(
    apiId: str,
    documentId: str,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
) -> Response:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    doc = await service.document(session, api, documentId)
    source = str(doc.get("sourceType") or "INLINE").upper()
    if source == "URL" and doc.get("sourceUrl"):
        return RedirectResponse(str(doc["sourceUrl"]), status_code=303)
    if source == "FILE":
        return await _document_file(request, api.id, documentId)
    content = doc.get("inlineContent") or doc.get("content")
    if not isinstance(content, str):
        raise NotFound(f"Document {documentId} has no content")
    media = "text/markdown" if source == "MARKDOWN" else "text/plain"
    return Response(content, media_type=media)


@router.get("/apis/{apiId}/thumbnail")
async def get_thumbnail(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> Response:
    who = await service.viewer(session, principal, tenant)
    found = service.thumbnail(await service.visible_api(session, who, apiId))
    if found is None:
        raise NotFound(f"API {apiId} has no thumbnail")
    return Response(found[0], media_type=found[1])


@router.get("/apis/{apiId}/topics")
async def list_topics(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> Page[Topic]:
    """The channels of an asynchronous API (WebSocket, WebSub, SSE): its operations."""
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    topics = []
    if service.api_type(api) in service.ASYNC_TYPES:
        for op in api.data.get("operations") or []:
            if isinstance(op, dict) and op.get("target"):
                topics.append(
                    Topic(
                        apiId=api.id, name=str(op["target"]), type=str(op.get("verb") or "SUBSCRIBE").lower()
                    )
                )
    return Page.of(topics, total=len(topics), limit=max(len(topics), 1), offset=0)


@router.get("/apis/{apiId}/subscription-policies")
async def list_subscription_policies(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> list[ThrottlingPolicyPublic]:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    found = []
    for name in api.policies or []:
        policy = await tiers.policy(session, api.tenant, "subscription", name)
        if policy is not None and tiers.allowed_for(policy, who.roles):
            found.append(tiers.public(policy, "subscription"))
    return found


def _graphql(api_type: str, apiId: str) -> None:
    if api_type != "GRAPHQL":
        raise NotFound(f"API {apiId} is not a GraphQL API")


@router.get("/apis/{apiId}/graphql-policies/complexity")
async def get_graphql_complexity(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> GraphQLQueryComplexityInfo:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    _graphql(service.api_type(api), apiId)
    raw = api.data.get("graphQLComplexity") or api.data.get("graphqlComplexity") or {}
    items = raw.get("list", []) if isinstance(raw, dict) else raw
    return GraphQLQueryComplexityInfo(
        list=[GraphQLCustomComplexityInfo.model_validate(i) for i in items if isinstance(i, dict)]
    )


@router.get("/apis/{apiId}/graphql-policies/complexity/types")
async def get_graphql_types(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> GraphQLSchemaTypeList:
    who = await service.viewer(session, principal, tenant)
    api = await service.visible_api(session, who, apiId)
    _graphql(service.api_type(api), apiId)
    schema = _text_definition(apiId, api.data, ("graphQLSchema", "schemaDefinition"), "GraphQL schema")
    try:
        found = graphql_schema.types(schema)
    except graphql_schema.UnreadableSchema as exc:
        raise NotFound(f"The GraphQL schema of API {apiId} cannot be read: {exc}") from exc
    return GraphQLSchemaTypeList(
        typeList=[GraphQLSchemaType(type=name, fieldList=list(fields)) for name, fields in found]
    )


@router.get("/tags")
async def list_tags(
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    index: SearchIndexDep,
    tenant: RequestedTenant,
) -> Page[Tag]:
    who = await service.viewer(session, principal, tenant)
    counts: dict[str, int] = {}
    for api, _ in await service.visible_apis(session, who, None, index):
        for tag in api.tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    tags = [Tag(value=value, count=count) for value, count in sorted(counts.items())]
    return Page.of(
        tags[page.offset : page.offset + page.limit], total=len(tags), limit=page.limit, offset=page.offset
    )


@router.get("/search")
async def search(
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    index: SearchIndexDep,
    tenant: RequestedTenant,
    query: QueryText = None,
) -> SearchResultList:
    """Marketplace search: filters narrow, words rank by relevance over name, description, tags
    and operation summaries."""
    who = await service.viewer(session, principal, tenant)
    found = await service.visible_apis(session, who, query, index)
    page_of = found[page.offset : page.offset + page.limit]
    whole = await service.rows(session, [api for api, _ in page_of])
    scores = {api.id: score for api, score in page_of}
    chunk = [(api, scores[api.id]) for api in whole]
    ratings = await service.ratings(session, [api for api, _ in chunk])
    items = []
    for api, score in chunk:
        summary = service.info(api, ratings.get(api.id), PREFIX)
        items.append(
            SearchResult(
                id=api.id,
                name=api.name,
                type="APIPRODUCT" if api.kind == "APIProduct" else "API",
                transportType=summary.type,
                description=summary.description,
                context=api.context,
                version=api.version,
                provider=api.provider,
                status=api.lifecycle_status,
                thumbnailUri=summary.thumbnailUri,
                businessInformation=summary.businessInformation,
                avgRating=summary.avgRating,
                monetizedInfo=summary.monetizedInfo,
                score=round(score, 4),
            )
        )
    return SearchResultList(
        count=len(items), list=items, pagination=_pagination(len(found), page.limit, page.offset)
    )


@router.get("/api-categories")
async def list_categories(
    session: SessionDep, principal: OptionalPrincipal, tenant: RequestedTenant
) -> APICategoryList:
    domain = catalog_tenant(principal, tenant)
    rows = await service.categories(session, domain)
    items = [APICategory(id=row.id, name=row.name, description=row.description or None) for row in rows]
    return APICategoryList(count=len(items), list=items)
