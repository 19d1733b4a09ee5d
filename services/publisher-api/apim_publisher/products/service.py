"""API products share the API aggregate's table, revisions, deployments, documents and lifecycle;
what differs is the body (member APIs and their operations), the definition, the snapshot a
revision takes (each member API's backend, so a gateway routes without asking anyone) and the
events, which are ``api-product.*``."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.security import Principal
from apim_publisher.apis import access, aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.apis.schemas import APIBody
from apim_publisher.certificates import service as certificates
from apim_publisher.common import utcnow
from apim_publisher.definitions import openapi
from apim_publisher.definitions.implementations import MOCK_IMPLEMENTATIONS
from apim_publisher.policies import service as policies
from apim_publisher.products import views
from apim_publisher.products.schemas import APIProductBody, product_fields


def is_product(api: API) -> bool:
    return api.type == PRODUCT_TYPE


def _not_found(product_id: str) -> NotFound:
    return NotFound(
        f"Requested API Product with id '{product_id}' not found",
        message="API Product Not Found",
        code=900360,
    )


async def get(session: AsyncSession, caller: Principal, product_id: str) -> API:
    """The product of the caller's tenant, if the caller may see it; otherwise it is not found."""
    product = await APIRepository(session).in_tenant(caller.tenant, product_id)
    if product is None or not is_product(product) or not access.allows(caller, product):
        raise _not_found(product_id)
    return product


async def of_tenant(session: AsyncSession, tenant: str) -> list[API]:
    return [a for a in await APIRepository(session).of_tenant(tenant) if is_product(a)]


async def of_caller(session: AsyncSession, caller: Principal) -> list[API]:
    return [a for a in await apis.of_caller(session, caller) if is_product(a)]


async def _members(session: AsyncSession, caller: Principal, body: APIProductBody) -> dict[str, API]:
    """Every member API exists in the tenant, the caller may see it, and it has the operations
    named; no two share verb and path."""
    members: dict[str, API] = {}
    seen: set[tuple[str, str]] = set()
    for member in body.apis:
        api = await APIRepository(session).in_tenant(caller.tenant, member.apiId)
        if api is None or is_product(api) or not access.allows(caller, api):
            raise BadRequest(
                f"API '{member.apiId}' of the product does not exist", message="Invalid API Product"
            )
        offered = {(str(o.get("verb")), str(o.get("target"))) for o in api.spec.get("operations") or []}
        for operation in member.operations:
            key = (operation.verb, operation.target)
            if key not in offered:
                raise BadRequest(
                    f"API '{api.name}' has no operation {operation.verb} {operation.target}",
                    message="Invalid API Product",
                )
            if key in seen:
                raise BadRequest(
                    f"Operation {operation.verb} {operation.target} is taken from two APIs",
                    message="Invalid API Product",
                )
            seen.add(key)
        member.name, member.version = api.name, api.version
        members[api.id] = api
    return members


def _member_operation(api: API, verb: str, target: str) -> dict[str, Any]:
    return next(
        o for o in api.spec.get("operations") or [] if (o.get("verb"), o.get("target")) == (verb, target)
    )


def _definition(body: APIProductBody, members: dict[str, API]) -> dict[str, Any]:
    operations: list[dict[str, Any]] = []
    scopes: dict[str, dict[str, Any]] = {}
    for member in body.apis:
        api = members[member.apiId]
        for scope in api.spec.get("scopes") or []:
            scopes[scope["scope"]["name"]] = scope
        for operation in member.operations:
            source = _member_operation(api, operation.verb, operation.target)
            operations.append({**source, "operationPolicies": {}})
    outline = APIBody.model_validate(
        {
            "name": body.name,
            "context": body.context,
            "version": body.version,
            "description": body.description,
            "operations": operations,
            "scopes": list(scopes.values()),
        }
    )
    return openapi.render(outline, None)


def _fill(body: APIProductBody, members: dict[str, API]) -> None:
    """Each exposed operation carries its member API's settings (auth, throttling, scopes)."""
    for member in body.apis:
        api = members[member.apiId]
        for index, operation in enumerate(member.operations):
            source = _member_operation(api, operation.verb, operation.target)
            member.operations[index] = operation.model_validate(
                {**source, "id": operation.id, "operationPolicies": source.get("operationPolicies") or {}}
            )


async def _check_unique(session: AsyncSession, tenant: str, body: APIProductBody, same_name_ok: bool) -> None:
    repository = APIRepository(session)
    same_name = await repository.with_name(tenant, body.name)
    if same_name and not same_name_ok:
        raise Conflict(
            f"The name '{body.name}' already exists", message="API Product name already exists", code=900250
        )
    if any(a.version == body.version for a in same_name):
        raise Conflict(
            f"'{body.name}' already has a version '{body.version}'",
            message="API Product version already exists",
        )
    for other in await repository.with_context(tenant, body.context):
        if other.name.lower() != body.name.lower():
            raise Conflict(f"The context '{body.context}' is already used by '{other.name}'", code=900251)


async def create(
    session: AsyncSession, principal: Principal, body: APIProductBody, *, new_version_of: API | None = None
) -> API:
    access.check_roles(principal, body.accessControl, body.accessControlRoles)
    await _check_unique(session, principal.tenant, body, same_name_ok=new_version_of is not None)
    members = await _members(session, principal, body)
    await policies.check_member_implementations(session, principal.tenant, members.values())
    _fill(body, members)
    now = utcnow()
    product = API(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        name=body.name,
        version=body.version,
        context=body.context,
        provider=principal.username,
        lifecycle_status="CREATED",
        type=PRODUCT_TYPE,
        is_default_version=body.isDefaultVersion,
        spec=product_fields(body),
        definition=_definition(body, members),
        revision_counter=0,
        row_version=1,
        created_at=now,
        updated_at=now,
        updated_by=principal.username,
    )
    await aggregate.add(session, principal, product)
    return product


async def update(session: AsyncSession, principal: Principal, product: API, body: APIProductBody) -> API:
    """Everything but name, version and context, which WSO2 keeps."""
    if not access.allows(principal, product):
        raise _not_found(product.id)
    access.check_roles(principal, body.accessControl, body.accessControlRoles)
    body.name, body.version, body.context = product.name, product.version, product.context
    members = await _members(session, principal, body)
    await policies.check_member_implementations(session, principal.tenant, members.values())
    _fill(body, members)
    product.spec = product_fields(body)
    product.definition = _definition(body, members)
    became_default = body.isDefaultVersion and not product.is_default_version
    product.is_default_version = body.isDefaultVersion
    aggregate.touch(product, principal)
    if became_default:
        await aggregate.make_only_default(session, product, principal)
    await aggregate.announce(session, product, "api.updated")
    return product


async def copy(
    session: AsyncSession, principal: Principal, source: API, new_version: str, default_version: bool
) -> API:
    try:
        body = APIProductBody.model_validate(
            {**views.public(source), "version": new_version, "isDefaultVersion": default_version}
        )
    except ValidationError as exc:  # only the new version is the caller's; say what is wrong with it
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise BadRequest(f"newVersion {new_version!r} is not accepted: {problems}") from exc
    product = await create(session, principal, body, new_version_of=source)
    product.thumbnail, product.thumbnail_media_type = source.thumbnail, source.thumbnail_media_type
    return product


async def outdated(session: AsyncSession, product: API) -> bool:
    """A member API changed after the product was last saved (its operations may have moved on)."""
    for member in product.spec.get("apis") or []:
        api = await APIRepository(session).get(member.get("apiId"))
        if api is None or api.updated_at.replace(tzinfo=None) > product.updated_at.replace(tzinfo=None):
            return True
    return False


async def snapshot(session: AsyncSession, product: API) -> dict[str, Any]:
    """What a product revision keeps: the product, and of each member API what routing its calls needs."""
    members: dict[str, Any] = {}
    for member in product.spec.get("apis") or []:
        api = await APIRepository(session).get(member.get("apiId"))
        if api is None:
            continue
        members[api.id] = {
            "id": api.id,
            "name": api.name,
            "context": api.context,
            "version": api.version,
            "endpointConfig": api.spec.get("endpointConfig"),
            "scopes": api.spec.get("scopes") or [],
            "operations": api.spec.get("operations") or [],
            "policies": await policies.resolve_api(session, api.tenant, api.id, api.spec),
            # A mocked member answers from its definition inside the product too.
            "endpointImplementationType": api.spec.get("endpointImplementationType") or "ENDPOINT",
            "definition": api.definition
            if api.spec.get("endpointImplementationType") in MOCK_IMPLEMENTATIONS
            else None,
            # A SOAPTOREST member's operations keep their SOAP calls inside the product.
            "soapToRest": api.spec.get("soapToRest"),
        }
    return {
        "api": views.public(product),
        "definition": product.definition,
        "members": members,
        "product": True,
        # Mutual TLS: a product has client certificates of its own, uploaded as an API's are.
        "clientCertificates": await certificates.for_revision(session, product.tenant, product.id),
    }


def restore_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    return product_fields(APIProductBody.model_validate(snapshot["api"]))
