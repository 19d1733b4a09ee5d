"""How a row of the API table is shown: an API's REST shapes, its ETag, and the payload and type
of the events about the row. An API and an API product share the row; what differs per kind for
events is the table ``KINDS``, not a branch in every caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apim_publisher.apis import websub_config
from apim_publisher.apis.endpoint_security import masked
from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.apis.schemas import APIInfo, APIPublic
from apim_publisher.common import etag_of, iso
from apim_publisher.products import views as product_views


def etag(api: API) -> str:
    return etag_of(api.id, api.row_version)


def public(api: API) -> APIPublic:
    spec = dict(api.spec)
    if "endpointConfig" in spec:
        spec["endpointConfig"] = masked(spec["endpointConfig"])
    if "websubSubscriptionConfiguration" in spec:
        websub = spec["websubSubscriptionConfiguration"]
        spec["websubSubscriptionConfiguration"] = websub_config.masked(websub)
    properties = spec.get("additionalProperties") or []
    return APIPublic.model_validate(
        {
            **spec,
            "id": api.id,
            "name": api.name,
            "context": api.context,
            "version": api.version,
            "provider": api.provider,
            "lifeCycleStatus": api.lifecycle_status,
            "isDefaultVersion": api.is_default_version,
            "type": api.type,
            "hasThumbnail": api.thumbnail is not None,
            "workflowStatus": api.workflow_status,
            "additionalPropertiesMap": {p["name"]: p for p in properties},
            "createdTime": iso(api.created_at),
            "lastUpdatedTime": iso(api.updated_at),
            "lastUpdatedTimestamp": str(int(api.updated_at.timestamp() * 1000)),
        }
    )


def info(api: API) -> APIInfo:
    spec = api.spec
    business = spec.get("businessInformation") or {}
    properties = spec.get("additionalProperties") or []
    return APIInfo(
        id=api.id,
        name=api.name,
        description=spec.get("description"),
        context=api.context,
        version=api.version,
        provider=api.provider,
        type=api.type,
        lifeCycleStatus=api.lifecycle_status,
        workflowStatus=api.workflow_status,
        hasThumbnail=api.thumbnail is not None,
        securityScheme=spec.get("securityScheme") or [],
        isDefaultVersion=api.is_default_version,
        additionalProperties=properties,
        additionalPropertiesMap={p["name"]: p for p in properties},
        monetizedInfo=bool((spec.get("monetization") or {}).get("enabled")),
        businessOwner=business.get("businessOwner"),
        businessOwnerEmail=business.get("businessOwnerEmail"),
        TechnicalOwner=business.get("technicalOwner"),
        TechnicalOwnerEmail=business.get("technicalOwnerEmail"),
        tags=spec.get("tags") or [],
        categories=spec.get("categories") or [],
        createdTime=iso(api.created_at),
        updatedTime=iso(api.updated_at),
        updatedBy=api.updated_by,
        gatewayType=str(spec.get("gatewayType") or "wso2/synapse"),
    )


@dataclass(frozen=True, slots=True)
class Kind:
    """What an event about a row of one kind says: its type's prefix and its payload."""

    event_prefix: str
    payload: Callable[[API], dict[str, Any]]


def _api_payload(api: API) -> dict[str, Any]:
    data: dict[str, Any] = public(api).model_dump(mode="json")
    if api.spec.get("wsdl"):
        # The developer portal serves a SOAP API's WSDL from its catalog (GET /apis/{apiId}/wsdl).
        data["wsdlDefinition"] = api.spec["wsdl"]
    for key in ("graphQLSchema", "graphQLComplexity"):
        # The developer portal serves a GraphQL API's schema, types and complexity values.
        if key in api.spec:
            data[key] = api.spec[key]
    return data


API_KIND = Kind(event_prefix="api.", payload=_api_payload)
KINDS: dict[str, Kind] = {PRODUCT_TYPE: Kind(event_prefix="api-product.", payload=product_views.public)}


def kind_of(row: API) -> Kind:
    return KINDS.get(row.type, API_KIND)


def event_data(row: API) -> dict[str, Any]:
    return {**kind_of(row).payload(row), "tenant": row.tenant}


def event_type(row: API, type_: str) -> str:
    """``api.updated`` of a product is ``api-product.updated``."""
    return type_.replace("api.", kind_of(row).event_prefix, 1)
