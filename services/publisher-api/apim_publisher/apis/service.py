"""Rules of the API aggregate: uniqueness, default versions, definitions kept in step, events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, Forbidden, NotFound
from apim_common.sealed import SecretBox
from apim_common.security import Principal
from apim_common.tenant_versions import TenantRows
from apim_publisher import scopes
from apim_publisher.apis import access, aggregate, endpoint_security, views, websub_config
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository, ListedApi
from apim_publisher.apis.schemas import SOAP_TO_REST_FROM_WSDL, APIBody, APIScope, Operation
from apim_publisher.apis.search import search
from apim_publisher.certificates import service as certificates
from apim_publisher.common import utcnow
from apim_publisher.definitions import openapi
from apim_publisher.graphql import document as graphql
from apim_publisher.policies import service as policies

# A GraphQL API's schema (SDL text) and complexity values, set through their own endpoints and
# taken into each revision.
GRAPHQL_FIELDS = ("graphQLSchema", "graphQLComplexity")
# A SOAPTOREST API's mappings (``soaptorest/``), edited as resource policies, taken into each revision.
SOAP_TO_REST_FIELD = "soapToRest"
REVISION_FIELDS = (*GRAPHQL_FIELDS, SOAP_TO_REST_FIELD)
# Columns of their own, not kept in ``API.spec``.
IDENTITY_FIELDS = {"name", "context", "version", "provider", "lifeCycleStatus", "isDefaultVersion", "type"}
# Fields WSO2 lets only a publisher change (``x-otherScopes``), not a creator alone.
PUBLISHER_FIELDS = (
    "tags",
    "policies",
    "apiThrottlingPolicy",
    "visibility",
    "visibleRoles",
    "subscriptionAvailability",
    "additionalProperties",
    "businessInformation",
    "categories",
)
# Kept in ``API.spec`` but set through their own endpoints, so an API update leaves them alone.
KEPT_FIELDS = (
    "environmentProperties",
    "externalStores",
    "mockScripts",
    "wsdl",
    "wsdlType",
    "asyncapi",
    # The catalog service the API was made from (servicecatalog/service.py).
    "serviceInfo",
    *REVISION_FIELDS,
)
DEFAULT_VERBS = ("GET", "PUT", "POST", "DELETE", "PATCH")
NAME_EXISTS = 900250
CONTEXT_EXISTS = 900251
THUMBNAIL_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/gif", "image/svg+xml", "image/webp"}
MAX_THUMBNAIL_BYTES = 1024 * 1024


def not_found(api_id: str) -> NotFound:
    return NotFound(f"Requested API with id '{api_id}' not found", message="API Not Found", code=900310)


async def get(session: AsyncSession, caller: Principal, api_id: str) -> API:
    """The API of the caller's tenant, if the caller may see it; otherwise it is not found."""
    api = await APIRepository(session).in_tenant(caller.tenant, api_id)
    if api is None or api.type == PRODUCT_TYPE or not access.allows(caller, api):
        raise not_found(api_id)
    return api


async def of_caller(session: AsyncSession, caller: Principal) -> list[API]:
    """Every API and API product of the caller's tenant the caller may see."""
    return access.accessible(caller, await APIRepository(session).of_tenant(caller.tenant))


async def listing(
    session: AsyncSession,
    caller: Principal,
    kept: TenantRows[ListedApi],
    query: str | None,
    sort_by: str | None,
    sort_order: str | None,
    offset: int,
    limit: int,
) -> tuple[list[API], int]:
    """One page of the caller's APIs (not products) matching ``query``, and how many match: decided
    on the listed columns, which ``kept`` holds under the tenant's list version (read with them);
    only the page's rows are read whole."""
    repository = APIRepository(session)
    listed = await kept.current(caller.tenant, lambda known: repository.listed_since(caller.tenant, known))
    visible = [a for a in listed if access.allows_listed(caller, a.access_roles)]
    found = search(visible, query, sort_by, sort_order)
    return await repository.in_order([a.id for a in found[offset : offset + limit]]), len(found)


def default_operations() -> list[Operation]:
    return [Operation(target="/*", verb=verb) for verb in DEFAULT_VERBS]


def check_graphql_operations(body: APIBody, schema: str | None) -> None:
    """A GRAPHQL API's operations name root fields of its schema, with the verb of their type."""
    if body.type != "GRAPHQL":
        return
    problems = graphql.operation_problems(schema, [(op.verb, op.target) for op in body.operations])
    if problems:
        raise BadRequest("; ".join(problems), message="Invalid GraphQL operations")


def _merge_scopes(declared: list[APIScope], operations: list[Operation]) -> list[APIScope]:
    """Declared scopes plus any scope an operation names without declaring it."""
    merged = {s.scope.name: s for s in declared}
    for op in operations:
        for name in op.scopes:
            merged.setdefault(name, APIScope.model_validate({"scope": {"name": name, "displayName": name}}))
    return list(merged.values())


async def _check_unique(session: AsyncSession, tenant: str, body: APIBody, *, copy_of: API | None) -> None:
    repository = APIRepository(session)
    same_name = await repository.with_name(tenant, body.name)
    if copy_of is None and same_name:
        raise Conflict(
            f"The API name '{body.name}' already exists", message="API name already exists", code=NAME_EXISTS
        )
    if any(a.version == body.version for a in same_name):
        raise Conflict(
            f"The API '{body.name}' already has a version '{body.version}'",
            message="API version already exists",
            code=NAME_EXISTS,
        )
    for other in await repository.with_context(tenant, body.context):
        if copy_of is None or other.name.lower() != copy_of.name.lower():
            raise Conflict(
                f"The API context '{body.context}' is already used by the API '{other.name}'",
                message="API context already exists",
                code=CONTEXT_EXISTS,
            )


def _spec_of(body: APIBody, stored: dict[str, Any] | None, secrets: SecretBox | None) -> dict[str, Any]:
    """The body as stored: endpoint secrets sealed, a masked one taken from ``stored``."""
    spec: dict[str, Any] = body.model_dump(mode="json", exclude=IDENTITY_FIELDS, exclude_none=True)
    if "endpointConfig" in spec:
        stored_config = (stored or {}).get("endpointConfig")
        spec["endpointConfig"] = endpoint_security.seal(spec["endpointConfig"], stored_config, secrets)
    if "websubSubscriptionConfiguration" in spec:
        stored_websub = (stored or {}).get("websubSubscriptionConfiguration")
        spec["websubSubscriptionConfiguration"] = websub_config.seal(
            spec["websubSubscriptionConfiguration"], stored_websub, secrets
        )
    return spec


async def create(
    session: AsyncSession,
    principal: Principal,
    body: APIBody,
    *,
    definition: dict[str, Any] | None = None,
    swagger2: bool = False,
    copy_of: API | None = None,
    secrets: SecretBox | None = None,
    graphql_schema: str | None = None,
    soap_to_rest: list[dict[str, Any]] | None = None,
) -> API:
    """``secrets``: seals endpoint secrets; without it a body carrying one is refused.
    ``graphql_schema``: a GRAPHQL API's SDL, whose root fields its operations must be.
    ``soap_to_rest``: a SOAPTOREST API's mappings, generated from its WSDL."""
    if body.type == "SOAPTOREST" and soap_to_rest is None:
        raise BadRequest(f"type: {SOAP_TO_REST_FROM_WSDL}", message="Invalid API properties")
    access.check_roles(principal, body.accessControl, body.accessControlRoles)
    check_graphql_operations(body, graphql_schema)
    await _check_unique(session, principal.tenant, body, copy_of=copy_of)
    if definition is not None:
        body.operations = openapi.operations_from(definition, body.operations)
        body.scopes = _merge_scopes([*openapi.scopes_from(definition), *body.scopes], body.operations)
    else:
        if not body.operations and body.type == "HTTP":
            body.operations = default_operations()
        definition = openapi.render(body, None, swagger2=swagger2)
    body = APIBody.model_validate(body.model_dump())
    owner = copy_of.id if copy_of is not None else None
    await policies.check_attachments(
        session, principal.tenant, owner, body.apiPolicies, body.operations, body.type
    )
    now = utcnow()
    spec = _spec_of(body, copy_of.spec if copy_of is not None else None, secrets)
    if graphql_schema is not None:
        spec["graphQLSchema"] = graphql_schema
    if soap_to_rest is not None:
        spec[SOAP_TO_REST_FIELD] = soap_to_rest
    api = API(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        name=body.name,
        version=body.version,
        context=body.context,
        provider=principal.username,
        lifecycle_status="CREATED",
        type=body.type,
        is_default_version=body.isDefaultVersion,
        spec=spec,
        definition=definition,
        revision_counter=0,
        row_version=1,
        created_at=now,
        updated_at=now,
        updated_by=principal.username,
    )
    await aggregate.add(session, principal, api)
    return api


def _require_publisher_for(principal: Principal, before: dict[str, Any], after: dict[str, Any]) -> None:
    if principal.scopes & {scopes.API_PUBLISH, scopes.API_MANAGE}:
        return
    changed = [f for f in PUBLISHER_FIELDS if before.get(f) != after.get(f)]
    if changed:
        raise Forbidden(
            f"Changing {', '.join(changed)} needs the scope {scopes.API_PUBLISH} or {scopes.API_MANAGE}",
            message="Insufficient scope",
            code=900910,
        )


async def update(
    session: AsyncSession, principal: Principal, api: API, body: APIBody, *, secrets: SecretBox | None = None
) -> API:
    """Everything but the name, version, context, provider and state (WSO2 keeps those)."""
    if not access.allows(principal, api):
        raise not_found(api.id)
    access.check_roles(principal, body.accessControl, body.accessControlRoles)
    if body.type == "SOAPTOREST" and api.type != "SOAPTOREST":
        raise BadRequest(f"type: {SOAP_TO_REST_FROM_WSDL}", message="Invalid API properties")
    body.name, body.version, body.context = api.name, api.version, api.context
    body.operations = body.operations or [Operation.model_validate(o) for o in api.spec.get("operations", [])]
    body.scopes = _merge_scopes(body.scopes, body.operations)
    body = APIBody.model_validate(body.model_dump())
    check_graphql_operations(body, api.spec.get("graphQLSchema"))
    await policies.check_attachments(
        session, api.tenant, api.id, body.apiPolicies, body.operations, body.type
    )
    spec = {**{k: v for k, v in api.spec.items() if k in KEPT_FIELDS}, **_spec_of(body, api.spec, secrets)}
    _require_publisher_for(principal, api.spec, spec)
    if spec.get("operations") != api.spec.get("operations") or spec.get("scopes") != api.spec.get("scopes"):
        api.definition = openapi.render(body, api.definition)
    api.spec = spec
    became_default = body.isDefaultVersion and not api.is_default_version
    api.is_default_version = body.isDefaultVersion
    aggregate.touch(api, principal)
    if became_default:
        await aggregate.make_only_default(session, api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


async def set_definition(
    session: AsyncSession, principal: Principal, api: API, document: dict[str, Any]
) -> API:
    """A new definition; the operations and scopes follow it, keeping policies of unchanged operations."""
    if not access.allows(principal, api):
        raise not_found(api.id)
    existing = [Operation.model_validate(o) for o in api.spec.get("operations", [])]
    operations = openapi.operations_from(document, existing)
    declared = openapi.scopes_from(document)
    shared = [APIScope.model_validate(s) for s in api.spec.get("scopes", []) if s.get("shared")]
    spec = dict(api.spec)
    spec["operations"] = [o.model_dump(mode="json", exclude_none=True) for o in operations]
    spec["scopes"] = [
        s.model_dump(mode="json", exclude_none=True) for s in _merge_scopes([*declared, *shared], operations)
    ]
    api.spec = spec
    api.definition = document
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


async def copy(
    session: AsyncSession, principal: Principal, source: API, new_version: str, default_version: bool
) -> API:
    body = APIBody.model_validate(
        {**views.public(source).model_dump(), "version": new_version, "isDefaultVersion": default_version}
    )
    definition = dict(source.definition or {})
    if definition:
        definition["info"] = {**(definition.get("info") or {}), "version": new_version}
    api = await create(
        session,
        principal,
        body,
        definition=definition or None,
        copy_of=source,
        graphql_schema=source.spec.get("graphQLSchema"),
        soap_to_rest=source.spec.get(SOAP_TO_REST_FIELD),
    )
    api.spec = {
        **api.spec,
        "operations": source.spec.get("operations", []),
        "scopes": source.spec.get("scopes", []),
        **{k: source.spec[k] for k in REVISION_FIELDS if k in source.spec},
    }
    api.thumbnail, api.thumbnail_media_type = source.thumbnail, source.thumbnail_media_type
    await policies.clone_for(session, principal, source.id, api.id)
    return api


async def snapshot(session: AsyncSession, api: API) -> dict[str, Any]:
    """What a revision of the API keeps."""
    return {
        # The view masks endpoint secrets; the revision keeps them sealed for the gateway.
        "api": websub_config.with_sealed(
            endpoint_security.with_sealed(
                views.public(api).model_dump(mode="json"), api.spec.get("endpointConfig")
            ),
            api.spec.get("websubSubscriptionConfiguration"),
        ),
        "definition": api.definition,
        # Resolved now so that the gateway compiles exactly what was checked, however specs change later.
        "policies": await policies.resolve_api(session, api.tenant, api.id, api.spec),
        "environmentProperties": api.spec.get("environmentProperties") or {},
        # Mutual TLS: the certificates as they are now, so the revision deploys what it was taken with.
        "clientCertificates": await certificates.for_revision(session, api.tenant, api.id),
        **{k: api.spec[k] for k in REVISION_FIELDS if k in api.spec},
    }


# Fields of the REST shape a revision keeps that are computed, not set by a client.
COMPUTED_FIELDS = {
    "id",
    "hasThumbnail",
    "isRevision",
    "revisionedApiId",
    "revisionId",
    "workflowStatus",
    "additionalPropertiesMap",
    "createdTime",
    "lastUpdatedTime",
    "lastUpdatedTimestamp",
}


def restore_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The ``spec`` a revision's snapshot gives back to the working copy."""
    kept = dict(snapshot["api"])
    spec = {k: v for k, v in kept.items() if k not in IDENTITY_FIELDS and k not in COMPUTED_FIELDS}
    fields: dict[str, Any] = APIBody.model_validate({**kept, **spec}).model_dump(
        mode="json", exclude=IDENTITY_FIELDS, exclude_none=True
    )
    fields.update({k: snapshot[k] for k in REVISION_FIELDS if k in snapshot})
    return fields


async def delete(session: AsyncSession, api: API) -> None:
    """The row and its event; ``revisions.delete_api`` takes it off the gateways first."""
    await aggregate.announce(session, api, "api.deleted")
    await APIRepository(session).delete(api)


async def set_thumbnail(
    session: AsyncSession, principal: Principal, api: API, content: bytes, media_type: str
) -> None:
    media_type = media_type.split(";")[0].strip().lower()
    if media_type not in THUMBNAIL_TYPES:
        raise BadRequest(
            f"A thumbnail must be one of {', '.join(sorted(THUMBNAIL_TYPES))}, not {media_type!r}"
        )
    if not content or len(content) > MAX_THUMBNAIL_BYTES:
        raise BadRequest("A thumbnail must hold between 1 byte and 1 MiB")
    api.thumbnail, api.thumbnail_media_type = content, media_type
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")


async def change_provider(session: AsyncSession, api: API, provider: str) -> API:
    if not provider.strip():
        raise BadRequest("The new provider may not be empty")
    api.provider = provider.strip()
    aggregate.touch(api, None)
    await aggregate.announce(session, api, "api.updated")
    return api
