"""Rules of the service catalog: a tenant's services with a checked definition and its md5, and the
APIs made from them (``/apis/import-service``), kept in step (``/apis/{apiId}/reimport-service``).

An API made from a service carries ``serviceInfo`` in its spec: the service's key, name and
version, the md5 of the definition it was made from, and ``outdated`` once the service's md5 has
moved on. The API row is the one record of the link, so a deleted API holds no service.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.security import Principal
from apim_publisher.apis import access, aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.repository import APIRepository
from apim_publisher.asyncapi import service as asyncapi
from apim_publisher.common import iso, utcnow
from apim_publisher.definitions import openapi
from apim_publisher.definitions import service as definitions
from apim_publisher.graphql import service as graphql
from apim_publisher.servicecatalog import archive
from apim_publisher.servicecatalog.models import CatalogService
from apim_publisher.servicecatalog.repository import ServiceRepository
from apim_publisher.servicecatalog.schemas import ServiceBody, ServicePublic
from apim_publisher.wsdl import service as wsdl

MAX_DEFINITION_BYTES = 5 * 1024 * 1024
SERVICE_INFO = "serviceInfo"
INVALID_DEFINITION = "Invalid service definition"


def not_found(what: str) -> NotFound:
    return NotFound(f"Requested service {what} not found", message="Service Not Found")


def md5_of(definition: bytes) -> str:
    # A change marker compared with what an API was made from, not a security control.
    return hashlib.md5(definition, usedforsecurity=False).hexdigest()


def _invalid(definition_type: str, errors: list[str]) -> BadRequest:
    return BadRequest(
        f"The definition is not a valid {definition_type} document: {'; '.join(errors)}",
        message=INVALID_DEFINITION,
    )


async def _openapi_problems(definition_type: str, raw: bytes) -> list[str]:
    document, errors = await definitions.parse_and_validate(raw)
    if errors or document is None:
        return errors or ["the definition is empty"]
    version = openapi.spec_version(document)
    if (definition_type == "OAS2") != (version == "2.0"):
        return [f"the document declares OpenAPI {version}, which is not {definition_type}"]
    return []


async def _asyncapi_problems(definition_type: str, raw: bytes) -> list[str]:
    document, errors = await asyncapi.check(raw)
    return errors or ([] if document is not None else ["the definition is empty"])


async def _graphql_problems(definition_type: str, raw: bytes) -> list[str]:
    schema, errors = await graphql.check(raw)
    return errors or ([] if schema is not None else ["the schema is empty"])


async def _wsdl_problems(definition_type: str, raw: bytes) -> list[str]:
    found, errors = await asyncio.to_thread(wsdl.inspect, raw)
    if errors or found is None:
        return errors
    wanted = "1.1" if definition_type == "WSDL1" else "2.0"
    if found.get("version") != wanted:
        return [f"the document is WSDL {found.get('version')}, which is not {definition_type}"]
    return []


# Each definition type's check: the problems found, none when the definition is valid.
CHECKS: dict[str, Callable[[str, bytes], Awaitable[list[str]]]] = {
    "OAS2": _openapi_problems,
    "OAS3": _openapi_problems,
    "ASYNC_API": _asyncapi_problems,
    "GRAPHQL_SDL": _graphql_problems,
    "WSDL1": _wsdl_problems,
    "WSDL2": _wsdl_problems,
}


async def check_definition(definition_type: str, raw: bytes) -> None:
    if not raw.strip():
        raise _invalid(definition_type, ["the definition is empty"])
    if len(raw) > MAX_DEFINITION_BYTES:
        raise _invalid(definition_type, ["the definition is larger than 5 MiB"])
    problems = await CHECKS[definition_type](definition_type, raw)
    if problems:
        raise _invalid(definition_type, problems)


async def get(session: AsyncSession, caller: Principal, service_id: str) -> CatalogService:
    found = await ServiceRepository(session).in_tenant(caller.tenant, service_id)
    if found is None:
        raise not_found(f"with id '{service_id}'")
    return found


async def with_key(session: AsyncSession, caller: Principal, key: str) -> CatalogService:
    found = await ServiceRepository(session).with_key(caller.tenant, key)
    if found is None:
        raise not_found(f"with key '{key}'")
    return found


async def named(session: AsyncSession, caller: Principal, name: str, version: str) -> CatalogService:
    found = await ServiceRepository(session).with_name_version(caller.tenant, name, version)
    if found is None:
        raise not_found(f"'{name}' version '{version}'")
    return found


async def of_tenant(session: AsyncSession, caller: Principal) -> list[CatalogService]:
    return list(await ServiceRepository(session).of_tenant(caller.tenant))


async def made_from(session: AsyncSession, tenant: str, key: str) -> list[API]:
    """The APIs of the tenant made from the service with ``key``."""
    return [
        api
        for api in await APIRepository(session).of_tenant(tenant)
        if api.type != PRODUCT_TYPE and (api.spec.get(SERVICE_INFO) or {}).get("key") == key
    ]


async def usage(session: AsyncSession, caller: Principal, service: CatalogService) -> list[API]:
    """The APIs made from the service that the caller may see."""
    return access.accessible(caller, await made_from(session, caller.tenant, service.service_key))


async def public(session: AsyncSession, service: CatalogService) -> ServicePublic:
    return ServicePublic(
        id=service.id,
        name=service.name,
        displayName=service.display_name,
        description=service.description,
        version=service.version,
        serviceKey=service.service_key,
        serviceUrl=service.service_url,
        definitionType=service.definition_type,
        securityType=service.security_type,
        mutualSSLEnabled=service.mutual_ssl_enabled,
        usage=len(await made_from(session, service.tenant, service.service_key)),
        createdTime=str(iso(service.created_at)),
        lastUpdatedTime=str(iso(service.updated_at)),
        md5=service.md5,
    )


def _apply(service: CatalogService, body: ServiceBody, definition: bytes, principal: Principal) -> None:
    service.display_name = body.displayName
    service.description = body.description
    service.service_url = body.serviceUrl
    service.definition_type = body.definitionType
    service.security_type = body.securityType
    service.mutual_ssl_enabled = body.mutualSSLEnabled
    service.definition = definition
    service.md5 = md5_of(definition)
    service.updated_at = utcnow()
    service.updated_by = principal.username


async def create(
    session: AsyncSession, principal: Principal, body: ServiceBody, definition: bytes
) -> CatalogService:
    """A new service; its key is the one given or ``name-version``, unique in the tenant."""
    await check_definition(body.definitionType, definition)
    repository = ServiceRepository(session)
    key = body.serviceKey or f"{body.name}-{body.version}"
    if await repository.with_key(principal.tenant, key) is not None:
        raise Conflict(f"A service with the key '{key}' already exists", message="Service already exists")
    if await repository.with_name_version(principal.tenant, body.name, body.version) is not None:
        raise Conflict(
            f"A service '{body.name}' version '{body.version}' already exists",
            message="Service already exists",
        )
    now = utcnow()
    service = CatalogService(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        service_key=key,
        name=body.name,
        version=body.version,
        created_at=now,
        created_by=principal.username,
    )
    _apply(service, body, definition, principal)
    await repository.add(service)
    return service


async def update(
    session: AsyncSession, principal: Principal, service: CatalogService, body: ServiceBody, definition: bytes
) -> CatalogService:
    """New metadata and definition under the same name, version and key (the APIs made from the
    service find it by its key); those APIs become outdated when the definition changed."""
    given = (body.name, body.version, body.serviceKey or service.service_key)
    if given != (service.name, service.version, service.service_key):
        raise BadRequest(
            "A service's name, version and serviceKey cannot change; create a new version of it instead",
            message="Invalid service",
        )
    await check_definition(body.definitionType, definition)
    _apply(service, body, definition, principal)
    await session.flush()
    for api in await made_from(session, service.tenant, service.service_key):
        info = dict(api.spec[SERVICE_INFO])
        outdated = info.get("md5") != service.md5
        if info.get("outdated") != outdated:
            api.spec = {**api.spec, SERVICE_INFO: {**info, "outdated": outdated}}
            aggregate.touch(api, None)
            await aggregate.announce(session, api, "api.updated")
    return service


async def delete(session: AsyncSession, service: CatalogService) -> None:
    """A service no API is made from; one in use stays (WSO2 answers 409)."""
    used = await made_from(session, service.tenant, service.service_key)
    if used:
        names = ", ".join(f"{a.name}:{a.version}" for a in used)
        raise Conflict(
            f"The service '{service.service_key}' cannot be deleted: the APIs {names} are made from it",
            message="Service is in use",
        )
    await ServiceRepository(session).delete(service)


def _service_info(service: CatalogService) -> dict[str, Any]:
    return {
        "key": service.service_key,
        "name": service.name,
        "version": service.version,
        "md5": service.md5,
        "outdated": False,
    }


def _http_endpoint(service: CatalogService, fields: dict[str, Any]) -> None:
    if service.service_url is None:
        return
    if fields.get("endpointConfig"):
        raise BadRequest(
            f"endpointConfig: the API's endpoint is the service's URL ({service.service_url}); "
            "leave endpointConfig out, or change the endpoint after the import",
            message="Invalid API properties",
        )
    url = {"url": service.service_url}
    fields["endpointConfig"] = {
        "endpoint_type": "http",
        "production_endpoints": url,
        "sandbox_endpoints": url,
    }


async def _from_openapi(
    session: AsyncSession, principal: Principal, service: CatalogService, fields: dict[str, Any]
) -> API:
    if fields.get("type", "HTTP") != "HTTP":
        raise BadRequest(f"type: an OpenAPI service makes an HTTP API, not a {fields['type']} API")
    _http_endpoint(service, fields)
    document, _ = await definitions.load_valid(service.definition)
    return await definitions.import_api(session, principal, document, json.dumps(fields))


async def _from_asyncapi(
    session: AsyncSession, principal: Principal, service: CatalogService, fields: dict[str, Any]
) -> API:
    document = await asyncapi.load_valid(service.definition)
    return await asyncapi.import_api(session, principal, document, json.dumps(fields))


async def _from_graphql(
    session: AsyncSession, principal: Principal, service: CatalogService, fields: dict[str, Any]
) -> API:
    _http_endpoint(service, fields)
    schema = await graphql.load_valid(service.definition)
    return await graphql.import_api(session, principal, schema, json.dumps(fields))


# How an API is made from each kind of definition; a WSDL service is refused (see import_as_api).
MAKERS: dict[str, Callable[[AsyncSession, Principal, CatalogService, dict[str, Any]], Awaitable[API]]] = {
    "OAS2": _from_openapi,
    "OAS3": _from_openapi,
    "ASYNC_API": _from_asyncapi,
    "GRAPHQL_SDL": _from_graphql,
}


async def import_as_api(session: AsyncSession, principal: Principal, key: str, fields: dict[str, Any]) -> API:
    """A new API from the service with ``key``: ``fields`` (the API DTO) with the definition, the
    operations and, for an HTTP or GraphQL service, the endpoint taken from the service."""
    service = await with_key(session, principal, key)
    make = MAKERS.get(service.definition_type)
    if make is None:
        raise BadRequest(
            f"A {service.definition_type} service cannot be imported as an API here; "
            "import its WSDL with /apis/import-wsdl",
            message="Unsupported service definition",
        )
    for field in ("operations", SERVICE_INFO):
        fields.pop(field, None)
    api = await make(session, principal, service, fields)
    api.spec = {**api.spec, SERVICE_INFO: _service_info(service)}
    await aggregate.announce(session, api, "api.updated")
    return api


async def reimport(session: AsyncSession, principal: Principal, api: API) -> API:
    """The API's definition and operations from its service's current definition; the API's own
    settings (endpoint, security, tiers, policies of operations that stay) are kept."""
    info = api.spec.get(SERVICE_INFO)
    if not info:
        raise BadRequest(
            f"The API '{api.name}' was not made from a catalog service", message="Not a service API"
        )
    service = await ServiceRepository(session).with_key(api.tenant, str(info["key"]))
    if service is None:
        raise not_found(f"with key '{info['key']}', which the API was made from,")
    api.spec = {**api.spec, SERVICE_INFO: _service_info(service)}
    if service.definition_type in ("OAS2", "OAS3"):
        document, _ = await definitions.load_valid(service.definition)
        return await apis.set_definition(session, principal, api, document)
    if service.definition_type == "ASYNC_API":
        return await asyncapi.set_definition(
            session, principal, api, await asyncapi.load_valid(service.definition)
        )
    return await graphql.set_schema(session, principal, api, await graphql.load_valid(service.definition))


async def import_archive(
    session: AsyncSession, principal: Principal, content: bytes, *, overwrite: bool
) -> list[CatalogService]:
    """Each service of a catalog zip created, or with ``overwrite`` updated when its key exists
    (409 otherwise); the whole import stands or falls together."""
    imported = []
    repository = ServiceRepository(session)
    for item in archive.read(content):
        key = item.body.serviceKey or f"{item.body.name}-{item.body.version}"
        existing = await repository.with_key(principal.tenant, key)
        if existing is None:
            imported.append(await create(session, principal, item.body, item.definition))
        elif overwrite:
            imported.append(await update(session, principal, existing, item.body, item.definition))
        else:
            raise Conflict(
                f"The service '{key}' ({item.folder}) already exists; import with overwrite=true",
                message="Service already exists",
            )
    return imported


def export_archive(service: CatalogService) -> bytes:
    fields = {
        "name": service.name,
        "displayName": service.display_name,
        "description": service.description,
        "version": service.version,
        "serviceKey": service.service_key,
        "serviceUrl": service.service_url,
        "definitionType": service.definition_type,
        "securityType": service.security_type,
        "mutualSSLEnabled": service.mutual_ssl_enabled,
    }
    return archive.write([(fields, service.definition)])
