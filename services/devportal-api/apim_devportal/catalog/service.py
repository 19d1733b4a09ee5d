"""Who sees which API, and the catalog's views of it.

An API is on the portal when PUBLISHED or PROTOTYPED; a DEPRECATED one stays visible to the
applications already subscribed to it; CREATED, BLOCKED and RETIRED ones are not there at all.
Visibility: PUBLIC for everyone (anonymous too, across tenants), PRIVATE for signed-in users of
its tenant, RESTRICTED for those of them holding one of its visible roles.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import NotFound
from apim_common.events.envelope import CloudEvent
from apim_common.security import Principal
from apim_devportal.catalog.models import ApiCategory, CatalogApi, CatalogDocument
from apim_devportal.catalog.repository import (
    CatalogRepository,
    CategoryRepository,
    DocumentRepository,
    Listed,
)
from apim_devportal.catalog.schemas import (
    AdvertiseInfo,
    APIBusinessInformation,
    APIEndpointURL,
    APIInfo,
    APIMonetizationInfo,
    APIOperations,
    APIPublic,
    APITier,
    APIURLs,
    Document,
    ScopeInfo,
)
from apim_devportal.catalog.search import Entry, SearchIndex, matches, needs_data, parse_query
from apim_devportal.common import catalog_tenant, epoch_millis, groups_of, is_admin, roles_of, utcnow
from apim_devportal.throttling.service import monetization_attributes

ON_PORTAL = frozenset({"PUBLISHED", "PROTOTYPED"})
SUBSCRIBABLE = frozenset({"PUBLISHED"})
ASYNC_TYPES = frozenset({"WS", "WEBSUB", "SSE", "ASYNC", "WEBHOOK"})
PRODUCT_TYPES = frozenset({"APIPRODUCT", "API_PRODUCT"})


@dataclass
class Viewer:
    """The caller as the catalog sees them: anonymous, or signed in to the browsed tenant or not."""

    tenant: str
    principal: Principal | None
    roles: frozenset[str] = frozenset()
    subscribed: set[str] = field(default_factory=set)

    @property
    def member(self) -> bool:
        return self.principal is not None and self.principal.tenant == self.tenant


async def viewer(session: AsyncSession, principal: Principal | None, requested: str | None) -> Viewer:
    tenant = catalog_tenant(principal, requested)
    seen = Viewer(tenant=tenant, principal=principal)
    if principal is not None and principal.tenant == tenant:
        seen.roles = roles_of(principal)
        seen.subscribed = await CatalogRepository(session).subscribed_api_ids(
            tenant, principal.username, groups_of(principal)
        )
    return seen


class Visible(Entry, Protocol):
    """What visibility needs of a catalog API: a whole row or its listed columns."""

    @property
    def tenant(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def visible_roles(self) -> list[str]: ...


def can_see(api: Visible, who: Viewer) -> bool:
    if api.tenant != who.tenant:
        return False
    state = api.lifecycle_status
    if state not in ON_PORTAL and not (state == "DEPRECATED" and api.id in who.subscribed):
        return False
    visibility = (api.visibility or "PUBLIC").upper()
    if visibility == "PUBLIC":
        return True
    if not who.member:
        return False
    if visibility == "PRIVATE" or is_admin(who.principal):
        return True
    return bool(set(api.visible_roles or []) & who.roles)


async def visible_api(session: AsyncSession, who: Viewer, api_id: str) -> CatalogApi:
    api = await CatalogRepository(session).get(api_id)
    if api is None or not can_see(api, who):
        raise NotFound(f"Requested API with id '{api_id}' not found", message="API Not Found")
    return api


async def visible_apis(
    session: AsyncSession, who: Viewer, query: str | None, index: SearchIndex
) -> list[tuple[Listed, float]]:
    """The caller's APIs that match ``query``: by relevance when it has free text, else by name.

    Decided on the listed columns alone; an API's ``data`` is read only for filters on it (type,
    additional properties) and when the search index is (re)built."""
    repository = CatalogRepository(session)
    version = await repository.version(who.tenant)
    listed = await index.listed(who.tenant, version, lambda: repository.listed_rows(who.tenant))
    parsed = parse_query(query)
    candidates = [api for api in listed if can_see(api, who)]
    if parsed.filters:
        data: dict[str, dict[str, Any]] = {}
        if any(needs_data(key) for key, _ in parsed.filters):
            data = await repository.data_of([api.id for api in candidates])
        candidates = [
            api
            for api in candidates
            if all(matches(api, key, value, data.get(api.id)) for key, value in parsed.filters)
        ]
    if not parsed.text:
        return [(api, 0.0) for api in candidates]
    by_id = {api.id: api for api in candidates}
    ranked = await index.rank(who.tenant, version, listed, " ".join(parsed.text), repository.by_ids)
    return [(by_id[ident], score) for ident, score in ranked if ident in by_id]


async def rows(session: AsyncSession, found: Sequence[Listed]) -> list[CatalogApi]:
    """The whole rows of one page of :func:`visible_apis`, in its order."""
    return await CatalogRepository(session).by_ids([api.id for api in found])


async def ratings(session: AsyncSession, apis: Sequence[Entry]) -> dict[str, float]:
    return await CatalogRepository(session).ratings(api.id for api in apis)


def _rating(value: float | None) -> str:
    return f"{value or 0.0:.1f}"


def _business(data: dict[str, Any]) -> APIBusinessInformation:
    return APIBusinessInformation.model_validate(data.get("businessInformation") or {})


def _advertise(data: dict[str, Any]) -> AdvertiseInfo:
    info = data.get("advertiseInfo") or {}
    return (
        AdvertiseInfo.model_validate({"vendor": "WSO2", **info})
        if isinstance(info, dict)
        else AdvertiseInfo()
    )


def _additional_properties(data: dict[str, Any]) -> list[dict[str, Any]]:
    props = data.get("additionalProperties")
    if isinstance(props, dict):
        return [{"name": k, "value": v, "display": True} for k, v in props.items()]
    return [p for p in props or [] if isinstance(p, dict) and p.get("display", True)]


def _monetized(data: dict[str, Any]) -> bool:
    monetization = data.get("monetization") or {}
    return bool(monetization.get("enabled")) if isinstance(monetization, dict) else False


def api_type(api: CatalogApi) -> str:
    return "APIPRODUCT" if api.kind == "APIProduct" else str(api.data.get("type") or "HTTP")


def thumbnail(api: CatalogApi) -> tuple[bytes, str] | None:
    """The API's thumbnail image, when the publisher sent one (base64 or a data: URI)."""
    raw = api.data.get("thumbnail")
    media_type = "image/png"
    if isinstance(raw, dict):
        media_type = str(raw.get("mediaType") or media_type)
        raw = raw.get("content")
    if not isinstance(raw, str) or not raw:
        return None
    if raw.startswith("data:"):
        header, _, raw = raw.partition(",")
        media_type = header[5:].split(";")[0] or media_type
    try:
        return base64.b64decode(raw, validate=True), media_type
    except (binascii.Error, ValueError):
        return None


def info(api: CatalogApi, avg: float | None, prefix: str) -> APIInfo:
    data = api.data
    return APIInfo(
        id=api.id,
        name=api.name,
        description=api.description or None,
        context=api.context,
        version=api.version,
        type=api_type(api),
        createdTime=epoch_millis(api.created_at),
        provider=api.provider,
        lifeCycleStatus=api.lifecycle_status,
        thumbnailUri=f"{prefix}/apis/{api.id}/thumbnail" if thumbnail(api) else None,
        avgRating=_rating(avg),
        throttlingPolicies=list(api.policies or []),
        advertiseInfo=_advertise(data),
        businessInformation=_business(data),
        isSubscriptionAvailable=api.lifecycle_status in SUBSCRIBABLE,
        monetizationLabel="PAID" if _monetized(data) else "FREE",
        additionalProperties=_additional_properties(data),
        monetizedInfo=_monetized(data),
        tags=list(api.tags or []),
        categories=[str(c) for c in api.categories or data.get("categories") or []],
    )


def _urls(gateway_url: str, tenant: str, context: str, version: str) -> tuple[APIURLs, APIURLs]:
    https = gateway_url.rstrip("/")
    http = https.replace("https://", "http://").replace(":8243", ":8280")
    if "{version}" in context:
        versioned, default = context.replace("{version}", version), context.replace("/{version}", "")
    else:
        versioned, default = f"{context}/{version}", context
    return (
        APIURLs(http=http + versioned, https=https + versioned),
        APIURLs(http=http + default, https=https + default),
    )


def endpoint_urls(api: CatalogApi, gateway_url: str) -> list[APIEndpointURL]:
    found: list[APIEndpointURL] = []
    for deployment in api.deployments or []:
        environment = str(deployment.get("environment") or "Default")
        vhost = deployment.get("vhost")
        base = gateway_url
        if vhost and vhost != "localhost":
            base = f"https://{vhost}"
        urls, defaults = _urls(base, api.tenant, api.context, api.version)
        found.append(
            APIEndpointURL(
                environmentName=environment,
                environmentDisplayName=environment,
                URLs=urls,
                defaultVersionURLs=defaults if api.data.get("isDefaultVersion") else APIURLs(),
            )
        )
    return found


def _operations(data: dict[str, Any]) -> list[APIOperations]:
    found = []
    for op in data.get("operations") or []:
        if isinstance(op, dict) and op.get("target") and op.get("verb"):
            found.append(APIOperations(id=op.get("id"), target=op["target"], verb=str(op["verb"]).upper()))
    return found


def _scopes(data: dict[str, Any]) -> list[ScopeInfo]:
    found = []
    for item in data.get("scopes") or []:
        scope = item.get("scope", item) if isinstance(item, dict) else None
        if isinstance(scope, dict) and scope.get("name"):
            found.append(
                ScopeInfo(
                    key=scope["name"],
                    name=scope.get("displayName") or scope["name"],
                    roles=list(scope.get("bindings") or []),
                    description=scope.get("description"),
                )
            )
    return found


def api_tiers(api: CatalogApi, policies: Sequence[dict[str, Any]]) -> list[APITier]:
    """The API's subscription tiers with their plan and price (``policies``: the tenant's tiers)."""
    by_name = {str(policy.get("policyName")): policy for policy in policies}
    tiers: list[APITier] = []
    for name in api.policies or []:
        policy = by_name.get(name) or {}
        plan = "COMMERCIAL" if policy.get("billingPlan") == "COMMERCIAL" else "FREE"
        tiers.append(
            APITier(tierName=name, tierPlan=plan, monetizationAttributes=monetization_attributes(policy))
        )
    return tiers


def detail(
    api: CatalogApi,
    avg: float | None,
    subscriptions: int,
    gateway_url: str,
    policies: Sequence[dict[str, Any]] = (),
) -> APIPublic:
    data = api.data
    urls = endpoint_urls(api, gateway_url)
    return APIPublic(
        id=api.id,
        name=api.name,
        description=api.description or None,
        context=api.context,
        version=api.version,
        provider=api.provider,
        apiDefinition=definition(api, gateway_url),
        lifeCycleStatus=api.lifecycle_status,
        isDefaultVersion=bool(data.get("isDefaultVersion")),
        type=api_type(api),
        transport=list(data.get("transport") or ["http", "https"]),
        operations=_operations(data),
        authorizationHeader=data.get("authorizationHeader") or "Authorization",
        apiKeyHeader=data.get("apiKeyHeader") or "apiKey",
        securityScheme=list(data.get("securityScheme") or ["oauth2"]),
        tags=list(api.tags or []),
        tiers=api_tiers(api, policies),
        hasThumbnail=thumbnail(api) is not None,
        additionalProperties=_additional_properties(data),
        monetization=APIMonetizationInfo(enabled=_monetized(data)),
        endpointURLs=urls,
        businessInformation=_business(data),
        environmentList=[u.environmentName for u in urls],
        scopes=_scopes(data),
        avgRating=_rating(avg),
        subscriptions=subscriptions,
        advertiseInfo=_advertise(data),
        isSubscriptionAvailable=api.lifecycle_status in SUBSCRIBABLE,
        categories=[str(c) for c in data.get("categories") or []],
        keyManagers=list(data.get("keyManagers") or ["all"]),
        createdTime=epoch_millis(api.created_at),
        lastUpdatedTime=epoch_millis(api.updated_at),
        asyncTransportProtocols=list(data.get("asyncTransportProtocols") or []),
    )


_PATH_PARAMETER = re.compile(r"{([^{}/]+)}")


def _security_schemes(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schemes the gateway accepts for the API: OAuth2 tokens (``default``, as WSO2 names it),
    its API key in its own header, basic auth."""
    chosen = set(data.get("securityScheme") or ["oauth2"])
    schemes: dict[str, dict[str, Any]] = {}
    if "oauth2" in chosen or not chosen & {"api_key", "basic_auth"}:
        schemes["default"] = {
            "type": "oauth2",
            "flows": {"implicit": {"authorizationUrl": "https://test.com", "scopes": {}}},
        }
    if "api_key" in chosen:
        header = data.get("apiKeyHeader") or "apiKey"
        schemes["api_key"] = {"type": "apiKey", "in": "header", "name": header}
    if "basic_auth" in chosen:
        schemes["basic_auth"] = {"type": "http", "scheme": "basic"}
    return schemes


def _operation_security(op: dict[str, Any], schemes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if str(op.get("authType") or "").lower() == "none":
        return []
    scopes = list(op.get("scopes") or [])
    return [{name: scopes if name == "default" else []} for name in schemes]


def definition(api: CatalogApi, gateway_url: str) -> str:
    """The API's OpenAPI document: the publisher's own when it sent one, else built from its
    operations, with the gateway URLs it is deployed at as servers and the gateway's security
    schemes for it."""
    own = api.data.get("apiDefinition")
    if isinstance(own, str) and own:
        return own
    schemes = _security_schemes(api.data)
    paths: dict[str, dict[str, Any]] = {}
    for op in api.data.get("operations") or []:
        if not isinstance(op, dict) or not op.get("target") or not op.get("verb"):
            continue
        operation: dict[str, Any] = {
            "responses": {"200": {"description": "OK"}},
            "security": _operation_security(op, schemes),
            "x-auth-type": op.get("authType") or "Application & Application User",
            "x-throttling-tier": op.get("throttlingPolicy") or "Unlimited",
        }
        for key in ("summary", "description"):
            if op.get(key):
                operation[key] = op[key]
        names = _PATH_PARAMETER.findall(str(op["target"]))
        if names:
            operation["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in dict.fromkeys(names)
            ]
        paths.setdefault(op["target"], {})[str(op["verb"]).lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": api.name, "version": api.version, "description": api.description or ""},
        "servers": [{"url": u.URLs.https} for u in endpoint_urls(api, gateway_url) if u.URLs.https],
        "paths": paths,
        "components": {"securitySchemes": schemes},
    }
    return json.dumps(document)


def openapi_definition(api: CatalogApi, gateway_url: str) -> str:
    """:func:`definition` of an API that has one: streaming APIs, and GraphQL APIs without a
    document of their own, have none (404)."""
    kind = api_type(api)
    if kind in ASYNC_TYPES or (kind == "GRAPHQL" and not api.data.get("apiDefinition")):
        raise NotFound(f"API {api.name} has no OpenAPI definition")
    return definition(api, gateway_url)


HIDDEN_DOCUMENTS = frozenset({"PRIVATE", "OWNER_ONLY"})


async def _all_documents(session: AsyncSession, api: CatalogApi) -> list[dict[str, Any]]:
    """The API's documents: those its own data lists, then those ``document.*`` events brought
    (an event's version of a document replaces the data's)."""
    found: dict[str, dict[str, Any]] = {}
    for item in api.data.get("documents") or []:
        if isinstance(item, dict) and item.get("documentId"):
            found[str(item["documentId"])] = item
    for row in await DocumentRepository(session).of_api(api.id):
        found[row.id] = {**row.data, "documentId": row.id}
    return list(found.values())


async def documents(session: AsyncSession, api: CatalogApi) -> list[Document]:
    return [
        Document.model_validate(item)
        for item in await _all_documents(session, api)
        if item.get("name") and str(item.get("visibility") or "API_LEVEL").upper() not in HIDDEN_DOCUMENTS
    ]


async def document(session: AsyncSession, api: CatalogApi, document_id: str) -> dict[str, Any]:
    for item in await _all_documents(session, api):
        if (
            item.get("documentId") == document_id
            and item.get("name")
            and str(item.get("visibility") or "API_LEVEL").upper() not in HIDDEN_DOCUMENTS
        ):
            return item
    raise NotFound(f"Requested document with id '{document_id}' not found")


async def on_document_event(session: AsyncSession, event: CloudEvent) -> None:
    """``document.created|updated|deleted``: the Document with its ``apiId``; applying one twice
    leaves the same row."""
    data = dict(event.data)
    document_id = str(data.get("documentId") or data.get("id") or "")
    api_id = str(data.get("apiId") or event.subject)
    if not document_id:
        return
    repository = DocumentRepository(session)
    row = await repository.get(document_id)
    if event.type.endswith(".deleted"):
        if row is not None:
            await repository.delete(row)
        return
    kept = {k: v for k, v in data.items() if k not in ("apiId", "id")}
    if kept.get("inlineContent") is None and row is not None and row.data.get("inlineContent") is not None:
        kept["inlineContent"] = row.data["inlineContent"]  # an event without content keeps the last
    if row is None:
        row = CatalogDocument(id=document_id)
        session.add(row)
    row.api_id = api_id
    row.tenant = event.tenant
    row.name = str(data.get("name") or "")
    row.data = {**kept, "documentId": document_id}
    row.updated_at = utcnow()
    await session.flush()


def _product(data: dict[str, Any], event_type: str) -> bool:
    return (
        event_type.startswith("api-product.")
        or str(data.get("type", "")).upper() in PRODUCT_TYPES
        or str(data.get("apiType", "")).upper() in PRODUCT_TYPES
    )


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        try:
            if value.isdigit():
                return datetime.fromtimestamp(int(value) / 1000, tz=utcnow().tzinfo)
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


async def on_api_event(session: AsyncSession, event: CloudEvent, index: SearchIndex) -> list[str]:
    """Apply one ``api.*`` event to the read model; returns the ids of APIs that were removed."""
    repository = CatalogRepository(session)
    payload = dict(event.data)
    nested = payload.get("api")
    data: dict[str, Any] = dict(nested) if isinstance(nested, dict) else payload
    api_id = str(data.get("id") or payload.get("apiId") or event.subject)
    index.invalidate(event.tenant)
    row = await repository.get(api_id)
    await repository.raise_version(event.tenant)
    if row is not None and row.tenant != event.tenant:
        await repository.raise_version(row.tenant)
    if event.type.endswith(".deleted"):
        if row is not None:
            await repository.delete(row)
        return [api_id]
    state = payload.get("state") if event.type.endswith("lifecycle-changed") else None
    status = str(state or data.get("lifeCycleStatus") or (row.lifecycle_status if row else "CREATED"))
    now = utcnow()
    if row is None:
        if not data.get("name"):
            return []  # a lifecycle change of an API this portal never saw whole
        row = CatalogApi(id=api_id, tenant=event.tenant, created_at=_moment(data.get("createdTime")) or now)
        session.add(row)
    elif not data.get("name"):
        data = {**row.data, "lifeCycleStatus": status.upper()}
    row.tenant = event.tenant
    row.kind = "APIProduct" if _product(data, event.type) else "API"
    row.name = str(data.get("name"))
    row.version = str(data.get("version") or "1.0.0")
    row.context = str(data.get("context") or "")
    row.provider = str(data.get("provider") or "")
    row.lifecycle_status = status.upper()
    row.visibility = str(data.get("visibility") or "PUBLIC").upper()
    row.visible_roles = list(data.get("visibleRoles") or [])
    row.description = str(data.get("description") or "")
    row.tags = [str(t) for t in data.get("tags") or []]
    row.categories = [str(c) for c in data.get("categories") or []]
    row.policies = [str(p) for p in data.get("policies") or []]
    row.data = {**data, "lifeCycleStatus": status.upper()}
    row.updated_at = now
    await session.flush()
    return []


async def on_deployment_event(session: AsyncSession, event: CloudEvent, index: SearchIndex) -> None:
    """``deployment.deployed|undeployed``: where the API can be called, for its endpoint URLs."""
    api_id = str(event.data.get("apiId") or "")
    row = await CatalogRepository(session).get(api_id)
    if row is None:
        return
    environment = str(event.data.get("environment") or "Default")
    kept = [d for d in row.deployments or [] if d.get("environment") != environment]
    if event.type.endswith(".deployed"):
        kept.append(
            {
                "environment": environment,
                "vhost": event.data.get("vhost"),
                "revisionId": event.data.get("revisionId"),
            }
        )
    row.deployments = kept
    row.updated_at = utcnow()
    index.invalidate(row.tenant)
    await CatalogRepository(session).raise_version(row.tenant)
    await session.flush()


async def on_category_event(session: AsyncSession, event: CloudEvent) -> None:
    repository = CategoryRepository(session)
    ident = str(event.data.get("id") or event.subject)
    row = await repository.get(ident)
    if event.type.endswith(".deleted"):
        if row is not None:
            await repository.delete(row)
        return
    if row is None:
        row = await repository.add(ApiCategory(id=ident, tenant=event.tenant, name="", description=""))
    row.name = str(event.data.get("name") or "")
    row.description = str(event.data.get("description") or "")
    await session.flush()


async def categories(session: AsyncSession, tenant: str) -> Sequence[ApiCategory]:
    return await CategoryRepository(session).of_tenant(tenant)
