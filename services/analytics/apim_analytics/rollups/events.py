"""A gateway's request event, read leniently: WSO2's field names first, the gateway's own next.

The ``analytics`` topic carries one CloudEvent per request; the tenant is the envelope's. Fields
follow WSO2's analytics event (``apiId``, ``apiName``, ``apiVersion``, ``apiContext``,
``apiCreator``, ``applicationId``, ``applicationName``, ``applicationOwner``, ``apiMethod``,
``apiResourceTemplate``, ``proxyResponseCode``, ``responseLatency``, ``backendLatency``,
``requestMediationLatency``, ``responseMediationLatency``, ``errorType``, ``requestTimestamp``,
``responseCacheHit``, ``properties.responseSize``...); where the gateway sends its older names
(``responseCode``, ``responseLatencyMs``, ``errorCode``) those are read instead. A field that is
missing or of the wrong type is treated as absent, never as a reason to refuse the event: one bad
event must not stop the store. Strings are cut to their column's length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apim_analytics.rollups.models import (
    ERROR_TYPE_LENGTH,
    ID_LENGTH,
    NAME_LENGTH,
    RESOURCE_LENGTH,
    TENANT_LENGTH,
)
from apim_common.events.envelope import CloudEvent

EVENT_ID_LENGTH = 36
# Our gateway error codes by prefix, as WSO2's fault categories (errorType) when none is sent.
ERROR_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("9009", "AUTH"),
    ("9008", "THROTTLED"),
    ("7007", "THROTTLED"),
    ("1015", "TARGET_CONNECTIVITY"),
    ("1010", "TARGET_CONNECTIVITY"),
)
_LARGEST = 2**53


# Not frozen: a frozen dataclass sets each of its 20 fields through ``object.__setattr__``, which
# took a fifth of the consumer's CPU per event in the bench.
@dataclass(slots=True)
class RequestEvent:
    event_id: str
    tenant: str
    at: float
    api_id: str
    api_name: str | None
    api_version: str | None
    api_context: str | None
    api_creator: str | None
    application_id: str
    application_name: str | None
    application_owner: str | None
    resource: str
    status_code: int
    error_type: str
    request_bytes: int
    response_bytes: int
    total_ms: float | None
    backend_ms: float | None
    gateway_ms: float | None
    cache_hit: bool = False  # answered from the gateway's response cache

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400 or bool(self.error_type)


def event_key(event_id: str) -> str:
    """The id under which an event is remembered: itself, or a digest of an id too long to store."""
    if len(event_id) <= EVENT_ID_LENGTH:
        return event_id
    return hashlib.blake2b(event_id.encode(), digest_size=EVENT_ID_LENGTH // 2).hexdigest()


def _text(value: Any, limit: int) -> str | None:
    if type(value) is str and len(value) <= limit and "\x00" not in value:
        return value or None  # the usual case, checked first: this runs ten times an event
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).replace("\x00", "")[:limit]
    return text or None


def _number(value: Any) -> float | None:
    kind = type(value)
    if kind is float or kind is int:
        number = float(value)
    elif kind is str:
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None  # bool, containers, None
    if number != number or number < 0 or number > _LARGEST:  # NaN, negative, or absurd
        return None
    return number


def _timestamp(value: Any, event: CloudEvent) -> float:
    """``requestTimestamp``: ISO-8601 (WSO2) or epoch milliseconds (our gateway); else the envelope's."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return event.time.timestamp()
        return parsed.timestamp() if parsed.tzinfo is not None else event.time.timestamp()
    number = _number(value)
    return number / 1000 if number is not None else event.time.timestamp()


def _error_type(data: Mapping[str, Any]) -> str:
    error_type = _text(data.get("errorType"), ERROR_TYPE_LENGTH)
    if error_type:
        return error_type
    code = _text(data.get("errorCode"), ERROR_TYPE_LENGTH)
    if not code:
        return ""
    return next((category for prefix, category in ERROR_CATEGORIES if code.startswith(prefix)), "OTHER")


def _size(data: Mapping[str, Any], name: str, *, other: str = "") -> int:
    """A body size: the field, else ``other``, else the same field of ``properties``."""
    value = data.get(name)
    if value is None and other:
        value = data.get(other)
    number = _number(value) if value is not None else None
    if not number:
        properties = data.get("properties")
        if type(properties) is dict:
            number = _number(properties.get(name))
    return int(number) if number else 0


def read(event: CloudEvent) -> RequestEvent:
    data = event.data
    get = data.get
    value = get("responseLatency")
    total = _number(value if value is not None else get("responseLatencyMs"))
    backend = _number(get("backendLatency"))
    request_mediation = _number(get("requestMediationLatency"))
    response_mediation = _number(get("responseMediationLatency"))
    if request_mediation is not None or response_mediation is not None:
        gateway: float | None = (request_mediation or 0.0) + (response_mediation or 0.0)
    elif total is not None and backend is not None:
        gateway = max(total - backend, 0.0)
    else:
        gateway = None
    value = get("proxyResponseCode")
    status = _number(value if value is not None else get("responseCode"))
    method = _text(get("apiMethod"), 16) or ""
    template = _text(get("apiResourceTemplate"), RESOURCE_LENGTH) or ""
    resource = f"{method} {template}".strip()[:RESOURCE_LENGTH] if method or template else ""
    return RequestEvent(
        event_key(event.id),
        _text(event.tenant, TENANT_LENGTH) or "",
        _timestamp(get("requestTimestamp"), event),
        _text(get("apiId"), ID_LENGTH) or "",
        _text(get("apiName"), NAME_LENGTH),
        _text(get("apiVersion"), NAME_LENGTH),
        _text(get("apiContext"), RESOURCE_LENGTH),
        _text(get("apiCreator"), NAME_LENGTH),
        _text(get("applicationId"), ID_LENGTH) or "",
        _text(get("applicationName"), NAME_LENGTH),
        _text(get("applicationOwner"), NAME_LENGTH),
        resource,
        int(status) if status is not None and status < 1000 else 0,
        _error_type(data),
        _size(data, "requestSize", other="requestContentLength"),
        _size(data, "responseSize"),
        total,
        backend,
        gateway,
        get("responseCacheHit") is True,
    )
