"""SOAP-to-REST rules: an API made from a WSDL's operations, and its mappings read and edited as
WSO2's resource policies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, NotFound
from apim_common.security import Principal
from apim_publisher.apis import aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import APIBody
from apim_publisher.soaptorest import content
from apim_publisher.soaptorest.reader import WsdlError, WsdlOperation, WsdlService, read
from apim_publisher.soaptorest.schemas import ResourcePolicyInfo, ResourcePolicyList, SoapMapping

TYPE: Final = "SOAPTOREST"
FIELD = "soapToRest"
SEQUENCE_IN = "in"
SEQUENCE_OUT = "out"
_OUT_SUFFIX = "-out"
FAULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Fault": {
            "type": "object",
            "properties": {
                "faultcode": {"type": "string"},
                "faultstring": {"type": "string"},
                "detail": {},
            },
        }
    },
}


async def read_wsdl(document: bytes) -> WsdlService:
    """The WSDL's operations (zeep reads it off the event loop); 400 when it has none to serve."""
    try:
        return await asyncio.to_thread(read, document)
    except WsdlError as exc:
        raise BadRequest(str(exc), message="Invalid WSDL") from None


def verb_of(operation: WsdlOperation) -> str:
    """POST for an operation with input fields, GET for one without, as WSO2 generates them."""
    return "post" if operation.fields else "get"


def _resource(operation: WsdlOperation) -> dict[str, Any]:
    request: dict[str, Any] = {}
    if operation.fields:
        request["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.request_schema}},
        }
    return {
        "operationId": operation.name,
        "summary": f"The SOAP operation {operation.name}",
        **request,
        "responses": {
            "200": {
                "description": "The SOAP answer as JSON",
                "content": {"application/json": {"schema": operation.response_schema}},
            },
            "500": {
                "description": "A SOAP fault",
                "content": {"application/json": {"schema": FAULT_SCHEMA}},
            },
        },
        "x-auth-type": "Application & Application User",
        "x-throttling-tier": "Unlimited",
    }


def definition(body: APIBody, service: WsdlService) -> dict[str, Any]:
    """The REST API's OpenAPI document: a resource /{operation} for each WSDL operation."""
    return {
        "openapi": "3.0.1",
        "info": {"title": body.name, "version": body.version},
        "paths": {f"/{op.name}": {verb_of(op): _resource(op)} for op in service.operations},
    }


def mappings(service: WsdlService) -> list[dict[str, Any]]:
    return [
        SoapMapping(
            id=str(uuid.uuid4()),
            resourcePath=op.name,
            httpVerb=verb_of(op),
            soapVersion="1.2" if op.soap_version == "1.2" else "1.1",
            soapAction=op.action,
            namespace=op.namespace,
            element=op.element,
            qualified=op.qualified,
            fields=list(op.fields),
        ).model_dump(mode="json")
        for op in service.operations
    ]


async def create(session: AsyncSession, principal: Principal, body: APIBody, service: WsdlService) -> API:
    if body.operations:
        raise BadRequest(
            "operations: a SOAPTOREST API's resources are its WSDL's operations; leave operations out",
            message="Invalid API properties",
        )
    body.type = TYPE
    return await apis.create(
        session, principal, body, definition=definition(body, service), soap_to_rest=mappings(service)
    )


def _stored(api: API) -> list[SoapMapping]:
    if api.type != TYPE:
        raise NotFound(
            f"API '{api.name}' is of type {api.type}; resource policies belong to SOAPTOREST APIs",
            message="Resource policies not found",
        )
    return [SoapMapping.model_validate(raw) for raw in api.spec.get(FIELD) or []]


def _info(mapping: SoapMapping, sequence: str) -> ResourcePolicyInfo:
    if sequence == SEQUENCE_OUT:
        return ResourcePolicyInfo(
            id=mapping.id + _OUT_SUFFIX,
            httpVerb=mapping.httpVerb,
            resourcePath=mapping.resourcePath,
            content=content.RESPONSE_RULES,
        )
    return ResourcePolicyInfo(
        id=mapping.id,
        httpVerb=mapping.httpVerb,
        resourcePath=mapping.resourcePath,
        content=content.render(mapping),
    )


def listing(api: API, sequence: str, resource_path: str | None, verb: str | None) -> ResourcePolicyList:
    if sequence not in (SEQUENCE_IN, SEQUENCE_OUT):
        raise BadRequest(f"sequenceType must be in or out, not {sequence!r}")
    found = [
        _info(m, sequence)
        for m in _stored(api)
        if (resource_path is None or m.resourcePath.strip("/") == resource_path.strip("/"))
        and (verb is None or m.httpVerb.lower() == verb.lower())
    ]
    return ResourcePolicyList(list=found, count=len(found))


def _not_found(api: API, policy_id: str) -> NotFound:
    return NotFound(
        f"API '{api.name}' has no resource policy '{policy_id}'", message="Resource policy not found"
    )


def one(api: API, policy_id: str) -> ResourcePolicyInfo:
    for mapping in _stored(api):
        if policy_id == mapping.id:
            return _info(mapping, SEQUENCE_IN)
        if policy_id == mapping.id + _OUT_SUFFIX:
            return _info(mapping, SEQUENCE_OUT)
    raise _not_found(api, policy_id)


async def update(
    session: AsyncSession, principal: Principal, api: API, policy_id: str, info: ResourcePolicyInfo
) -> ResourcePolicyInfo:
    """The request mapping read from ``content``; what the gateway sends once deployed again."""
    stored = _stored(api)
    index = next((i for i, m in enumerate(stored) if m.id == policy_id), None)
    if index is None:
        if any(policy_id == m.id + _OUT_SUFFIX for m in stored):
            raise BadRequest(
                "The response mapping is fixed (SOAP to JSON as docs/decisions/0026 says); "
                "only the request mapping (sequenceType in) can be edited",
                message="Resource policy not editable",
            )
        raise _not_found(api, policy_id)
    current = stored[index]
    for name, given, kept in (
        ("id", info.id, current.id),
        ("resourcePath", info.resourcePath, current.resourcePath),
        ("httpVerb", info.httpVerb, current.httpVerb),
    ):
        if given is not None and given.strip("/").lower() != kept.strip("/").lower():
            raise BadRequest(f"{name} cannot be changed here: it is {kept!r}, not {given!r}")
    try:
        edited = content.parse(info.content, current)
    except content.ContentError as exc:
        raise BadRequest(f"content: {exc}", message="Invalid resource policy") from None
    stored[index] = edited
    api.spec = {**api.spec, FIELD: [m.model_dump(mode="json") for m in stored]}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return _info(edited, SEQUENCE_IN)
