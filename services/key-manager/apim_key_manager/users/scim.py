"""SCIM 2.0 shapes (RFC 7643/7644): resources, list responses, filters and errors."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from apim_common.errors import APIError, BadRequest

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"

SCIM_PREFIX = "/scim2"

_FILTER = re.compile(r'^\s*(\w+)\s+(eq|co|sw|ew)\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$', re.IGNORECASE)


class InvalidFilter(BadRequest):
    """A filter this server does not understand (scimType invalidFilter)."""


def parse_filter(expression: str, attributes: set[str]) -> tuple[str, str, str]:
    """``(attribute, operator, value)`` of ``attribute op value``; one simple expression."""
    match = _FILTER.match(expression)
    if match is None:
        raise InvalidFilter(f"Unsupported filter: {expression}")
    attribute, operator = match.group(1), match.group(2).lower()
    value = match.group(3) if match.group(3) is not None else match.group(4)
    canonical = {a.lower(): a for a in attributes}
    if attribute.lower() not in canonical:
        raise InvalidFilter(f"Filtering on {attribute} is not supported")
    return canonical[attribute.lower()], operator, value.replace('\\"', '"')


def matches(candidate: str, operator: str, value: str) -> bool:
    c, v = candidate.lower(), value.lower()
    if operator == "eq":
        return c == v
    if operator == "co":
        return v in c
    if operator == "sw":
        return c.startswith(v)
    return c.endswith(v)


def list_response(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def scim_json(
    body: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=CONTENT_TYPE, headers=headers)


def scim_error(
    status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_json(body, status, headers)


def install_scim_errors(app: Any) -> None:
    """Errors under /scim2 take SCIM's shape; elsewhere the handlers already installed answer."""
    api_error = app.exception_handlers[APIError]
    validation_error = app.exception_handlers[RequestValidationError]

    async def on_api_error(request: Request, exc: Exception) -> Any:
        if not request.url.path.startswith(SCIM_PREFIX) or not isinstance(exc, APIError):
            return await api_error(request, exc)
        scim_type = None
        if isinstance(exc, InvalidFilter):
            scim_type = "invalidFilter"
        elif exc.status_code == 409:
            scim_type = "uniqueness"
        elif exc.status_code == 400:
            scim_type = "invalidValue"
        return scim_error(exc.status_code, exc.description or exc.message, scim_type, exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> Any:
        if not request.url.path.startswith(SCIM_PREFIX) or not isinstance(exc, RequestValidationError):
            return await validation_error(request, exc)
        detail = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body')}: {err.get('msg')}"
            for err in exc.errors()
        )
        return scim_error(400, detail or "Invalid request", "invalidSyntax")

    app.add_exception_handler(APIError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
