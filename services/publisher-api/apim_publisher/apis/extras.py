"""The smaller ``/apis`` operations: existence checks, endpoint probes, monetization, environment
properties, mock scripts, external stores, internal test keys, and the cross-type ``/search``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Query, Request, Response

from apim_common.db import SessionDep
from apim_common.errors import BadRequest, NotFound
from apim_common.pagination import PageDep
from apim_common.settings import ServiceSettings
from apim_publisher import scopes
from apim_publisher.apis import aggregate, service
from apim_publisher.apis.models import PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import Monetization
from apim_publisher.apis.search import search as search_apis
from apim_publisher.catalog import service as catalog
from apim_publisher.catalog.endpoints import external_stores
from apim_publisher.definitions.implementations import SCRIPTS_NOT_RUN
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.environments.repository import EnvironmentRepository
from apim_publisher.internal_calls import call, key_manager

router = APIRouter(tags=["APIs", "Validation", "API Monetization", "Unified Search"])


@router.post("/apis/validate", status_code=200)
async def validate_api(
    session: SessionDep, principal: scopes.CreatorOrManager, query: Annotated[str, Query(min_length=1)]
) -> Response:
    """200 when an API matches ``name:`` or ``context:`` (WSO2's check before creating), else 404."""
    attribute, _, value = query.partition(":")
    if attribute not in ("name", "context") or not value:
        raise BadRequest("query must be name:<name> or context:<context>")
    for api in await APIRepository(session).of_tenant(principal.tenant):
        current = api.name if attribute == "name" else api.context
        if current.lower() == value.strip().lower() or (
            attribute == "context" and current == "/" + value.strip("/")
        ):
            return Response(status_code=200)
    raise NotFound(f"No API has {attribute} '{value}'", message="API Not Found")


@router.post("/apis/validate-endpoint")
async def validate_endpoint(
    request: Request,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
    endpointUrl: Annotated[str, Query(min_length=1)],
    apiId: str | None = None,
) -> dict[str, Any]:
    """Whether the backend answers at all (any HTTP status counts as reachable)."""
    if apiId is not None:
        await service.get(session, principal, apiId)
    if not endpointUrl.startswith(("http://", "https://")):
        raise BadRequest("endpointUrl must be an http:// or https:// URL")
    # The outbound guard refuses private targets (400); otherwise only whether the backend answered
    # and its status travel back: no redirect is followed and no error detail is repeated.
    http: httpx.AsyncClient = request.app.state.outbound
    try:
        answer = await http.head(endpointUrl, timeout=5.0, follow_redirects=False)
    except httpx.InvalidURL as exc:
        raise BadRequest(f"endpointUrl is not a valid URL: {exc}") from exc
    except httpx.HTTPError:
        return {"statusCode": 0, "statusMessage": "Unreachable", "error": "The endpoint did not answer"}
    return {"statusCode": answer.status_code, "statusMessage": _phrase(answer.status_code), "error": ""}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Reachable"


@router.post("/apis/{apiId}/documents/validate", status_code=200)
async def validate_document(
    apiId: str,
    session: SessionDep,
    principal: scopes.DocumentValidate,
    name: Annotated[str, Query(min_length=1)],
) -> Response:
    api = await service.get(session, principal, apiId)
    if await DocumentRepository(session).named(api.id, name) is None:
        raise NotFound(f"API '{api.name}' has no document named '{name}'", message="Document Not Found")
    return Response(status_code=200)


@router.get("/apis/{apiId}/monetization")
async def get_monetization(
    apiId: str, session: SessionDep, principal: scopes.MonetizationRead
) -> dict[str, Any]:
    api = await service.get(session, principal, apiId)
    monetization = api.spec.get("monetization") or {}
    return {
        "enabled": bool(monetization.get("enabled")),
        "properties": dict(monetization.get("properties") or {}),
    }


@router.post("/apis/{apiId}/monetize", status_code=201)
async def monetize(
    apiId: str, session: SessionDep, principal: scopes.Monetization, body: Monetization
) -> dict[str, Any]:
    """Only switching monetization off is accepted: ``Monetization`` refuses enabling it (400)."""
    api = await service.get(session, principal, apiId)
    monetization = body.model_dump()
    api.spec = {**api.spec, "monetization": monetization}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return monetization


@router.get("/apis/{apiId}/revenue")
async def revenue(
    apiId: str, request: Request, session: SessionDep, principal: scopes.MonetizationRead
) -> dict[str, Any]:
    """What the billing provider billed for the API's subscriptions over every published period
    (WSO2's ``APIRevenue``), as the admin service's usage publisher recorded it."""
    api = await service.get(session, principal, apiId)
    settings: ServiceSettings = request.app.state.settings
    found: dict[str, Any] = await call(
        request,
        "GET",
        f"{settings.admin_url.rstrip('/')}/api/am/admin/v4/internal/monetization/revenue",
        "Reading the API's revenue",
        params={"tenant": api.tenant, "apiId": api.id},
    )
    return {"properties": dict(found.get("properties") or {})}


async def _environment(session: SessionDep, tenant: str, environment_id: str) -> str:
    for environment in await EnvironmentRepository(session).visible_to(tenant):
        if environment_id in (environment.id, environment.name):
            return environment.name
    raise NotFound(f"Gateway environment '{environment_id}' not found", message="Environment Not Found")


@router.get("/apis/{apiId}/environments/{envId}/keys")
async def get_environment_properties(
    apiId: str, envId: str, session: SessionDep, principal: scopes.CreatorOrManager
) -> dict[str, str]:
    api = await service.get(session, principal, apiId)
    name = await _environment(session, principal.tenant, envId)
    return dict((api.spec.get("environmentProperties") or {}).get(name) or {})


@router.put("/apis/{apiId}/environments/{envId}/keys")
async def put_environment_properties(
    apiId: str,
    envId: str,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
    body: Annotated[dict[str, str], Body()],
) -> dict[str, str]:
    """Properties the gateway applies to this API in one environment; they travel with the next deployment."""
    api = await service.get(session, principal, apiId)
    name = await _environment(session, principal.tenant, envId)
    properties = {**(api.spec.get("environmentProperties") or {}), name: dict(body)}
    api.spec = {**api.spec, "environmentProperties": properties}
    aggregate.touch(api, principal)
    return dict(body)


@router.post("/apis/{apiId}/generate-mock-scripts")
async def generate_mock_scripts(
    apiId: str, session: SessionDep, principal: scopes.CreatorOrManager
) -> dict[str, Any]:
    """Refused: the gateway answers MOCKED_OAS from the examples itself and runs no script."""
    await service.get(session, principal, apiId)
    raise BadRequest(f"generate-mock-scripts: {SCRIPTS_NOT_RUN}", message="Mock scripts are not supported")


@router.get("/apis/{apiId}/generated-mock-scripts")
async def generated_mock_scripts(
    apiId: str, session: SessionDep, principal: scopes.CreatorOrManager
) -> dict[str, Any]:
    """Always empty: no script is generated or run (see ``generate-mock-scripts``)."""
    await service.get(session, principal, apiId)
    return {"count": 0, "list": []}


@router.get("/apis/{apiId}/external-stores")
async def api_external_stores(
    apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage
) -> list[dict[str, Any]]:
    api = await service.get(session, principal, apiId)
    return list(api.spec.get("externalStores") or [])


@router.post("/apis/{apiId}/publish-to-external-stores")
async def publish_to_external_stores(
    apiId: str, session: SessionDep, principal: scopes.Monetization, externalStoreIds: str = ""
) -> list[dict[str, Any]]:
    """The API is listed in the named stores (tenant-config ``ExternalStores``); others are dropped."""
    api = await service.get(session, principal, apiId)
    known = {s["id"]: s for s in external_stores(await catalog.tenant_config(session, principal.tenant))}
    wanted = [i.strip() for i in externalStoreIds.split(",") if i.strip()]
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise NotFound(f"Unknown external stores: {', '.join(unknown)}", message="External Store Not Found")
    if api.lifecycle_status != "PUBLISHED" and wanted:
        raise BadRequest("Only a published API can be listed in external stores")
    stores = [{"id": i, "displayName": known[i]["displayName"], "lastUpdatedTime": None} for i in wanted]
    api.spec = {**api.spec, "externalStores": stores}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return stores


@router.post("/apis/{apiId}/generate-key")
async def generate_internal_key(
    apiId: str, request: Request, session: SessionDep, principal: scopes.GenerateKey
) -> dict[str, Any]:
    """A short-lived API key for trying the API out, signed by the key manager."""
    api = await service.get(session, principal, apiId)
    body = {
        "username": principal.username,
        "tenant": principal.tenant,
        "keyType": "PRODUCTION",
        "application": {
            "uuid": f"publisher-test-{api.id}",
            "name": "__publisher_test__",
            "owner": principal.username,
        },
        "subscribedAPIs": [
            {"name": api.name, "context": api.context, "version": api.version, "publisher": api.provider}
        ],
        "validityPeriod": 3600,
    }
    signed = await call(
        request, "POST", key_manager(request, "/api-keys"), "Signing an internal key", json=body
    )
    return {"apikey": signed["apikey"], "validityTime": signed.get("validityTime", 3600)}


@router.get("/search")
async def unified_search(
    request: Request,
    session: SessionDep,
    principal: scopes.SearchRead,
    page: PageDep,
    query: str | None = None,
) -> dict[str, Any]:
    """APIs and products by WSO2's query syntax; ``content:<text>`` searches documents instead."""
    everything = await service.of_caller(session, principal)
    results: list[dict[str, Any]] = []
    if query and query.strip().startswith("content:"):
        text = query.strip().removeprefix("content:").strip().lower()
        by_id = {a.id: a for a in everything}
        for api in everything:
            for document in await DocumentRepository(session).of_api(api.id):
                haystack = f"{document.name} {document.summary or ''} {document.inline_content or ''}".lower()
                if text in haystack:
                    owner = by_id[document.api_id]
                    results.append(
                        {
                            "id": document.id,
                            "name": document.name,
                            "type": "DOC",
                            "docType": document.type,
                            "summary": document.summary,
                            "sourceType": document.source_type,
                            "visibility": document.visibility,
                            "apiName": owner.name,
                            "apiVersion": owner.version,
                            "apiProvider": owner.provider,
                            "apiUUID": owner.id,
                            "associatedType": "API" if owner.type != PRODUCT_TYPE else "APIProduct",
                        }
                    )
    else:
        for api in search_apis(everything, query, "name"):
            product = api.type == PRODUCT_TYPE
            results.append(
                {
                    "id": api.id,
                    "name": api.name,
                    "type": "APIProduct" if product else "API",
                    "transportType": "HTTP" if product else api.type,
                    "description": api.spec.get("description"),
                    "context": api.context,
                    "version": api.version,
                    "provider": api.provider,
                    "status": api.lifecycle_status,
                    "thumbnailUri": f"/apis/{api.id}/thumbnail" if api.thumbnail else None,
                    "businessInformation": api.spec.get("businessInformation") or {},
                }
            )
    window = results[page.offset : page.offset + page.limit]
    return {
        "count": len(window),
        "list": window,
        "pagination": {"offset": page.offset, "limit": page.limit, "total": len(results)},
    }
