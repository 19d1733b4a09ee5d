"""An API product's REST shapes (WSO2's APIProduct and APIProductInfo DTOs), kept apart from the
product service so that the shared row's event payload can use them from below it."""

from __future__ import annotations

from typing import Any

from apim_publisher.apis.models import API, PRODUCT_TYPE
from apim_publisher.common import iso


def public(product: API) -> dict[str, Any]:
    spec = dict(product.spec)
    return {
        **spec,
        "id": product.id,
        "name": product.name,
        "context": product.context,
        "version": product.version,
        "provider": product.provider,
        "state": product.lifecycle_status,
        "lifeCycleStatus": product.lifecycle_status,
        "isDefaultVersion": product.is_default_version,
        "apiType": "APIPRODUCT",
        "type": PRODUCT_TYPE,
        "hasThumbnail": product.thumbnail is not None,
        "workflowStatus": product.workflow_status,
        "gatewayVendor": "wso2",
        "createdTime": iso(product.created_at),
        "lastUpdatedTime": iso(product.updated_at),
    }


def info(product: API) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "context": product.context,
        "version": product.version,
        "description": product.spec.get("description"),
        "provider": product.provider,
        "hasThumbnail": product.thumbnail is not None,
        "state": product.lifecycle_status,
        "securityScheme": product.spec.get("securityScheme") or [],
        "gatewayVendor": "wso2",
        "isDefaultVersion": product.is_default_version,
        "createdTime": iso(product.created_at),
        "updatedTime": iso(product.updated_at),
    }
