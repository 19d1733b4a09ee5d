"""jsonFault: make the fault response a JSON ``{"code", "message", "description"}`` body.

In the fault flow ``exchange.response`` is the error about to be sent (the gateway's own error,
or the backend's failure). ``exchange.variables["fault"]`` (``{code, message, description}``),
when the request path sets it, wins. Otherwise the body is read: a JSON object keeps its
``code``/``message``/``description`` (a ``{"fault": {...}}`` wrapper is unwrapped), WSO2's XML
``<am:fault>`` has its elements taken, and any other text becomes the description, with the HTTP
status as the code.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from apim_gateway.context import Exchange
from apim_gateway.policies.base import register
from apim_gateway.policies.builtin._common import BuiltinPolicy, body_replaced, is_encoded

FAULT_VARIABLE = "fault"
_FIELDS = ("code", "message", "description")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _from_json(document: Any) -> dict[str, str] | None:
    if isinstance(document, dict) and isinstance(document.get("fault"), dict):
        document = document["fault"]
    if isinstance(document, dict) and any(k in document for k in _FIELDS):
        return {k: str(document[k]) for k in _FIELDS if document.get(k) is not None}
    return None


def _from_xml(body: bytes) -> dict[str, str] | None:
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, RecursionError):
        return None
    found = {}
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if local in _FIELDS and local not in found and element.text:
            found[local] = element.text.strip()
    return found or None


def fault_fields(status: int, body: bytes | None, given: Any = None) -> dict[str, str]:
    fields = _from_json(given)
    if fields is None and body:
        text = body.strip()
        if text[:1] in (b"{", b"["):
            try:
                fields = _from_json(json.loads(text))
            except (ValueError, RecursionError):
                fields = None
        elif text[:1] == b"<":
            fields = _from_xml(text)
        if fields is None:
            fields = {"description": text.decode("utf-8", errors="replace")}
    fields = fields or {}
    return {
        "code": fields.get("code") or str(status),
        "message": fields.get("message") or _reason(status),
        "description": fields.get("description", ""),
    }


@register
class JsonFault(BuiltinPolicy):
    name = "jsonFault"
    needs_response_body = True

    async def on_fault(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None or is_encoded(response.headers):
            return
        fields = fault_fields(response.status, response.body, exchange.variables.get(FAULT_VARIABLE))
        response.body = json.dumps(fields, ensure_ascii=False).encode()
        body_replaced(response.headers, "application/json")
