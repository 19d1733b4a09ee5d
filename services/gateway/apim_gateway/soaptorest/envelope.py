"""JSON to a SOAP envelope: each field of the request's JSON object becomes an element, in the
mapping's order.

A value maps as WSO2's payload factory fills an envelope from JSON: text for a string, number
or boolean (``true``/``false``); child elements, in order, for an object; the element repeated for
each item of an array; nothing for ``null`` (the element is left out). A key the mapping does not
name is refused, so nothing a client sends is dropped unseen.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from apim_gateway.soaptorest.mapping import XML_NAME, SoapOperation

MAX_DEPTH = 32


class EnvelopeError(ValueError):
    """The request body cannot be made into the operation's envelope."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return escape(str(value))


def _write(out: list[str], prefix: str, name: str, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EnvelopeError(f"the JSON is nested deeper than {MAX_DEPTH} levels")
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                raise EnvelopeError(f"{name}: an array inside an array has no XML form")
            _write(out, prefix, name, item, depth + 1)
        return
    tag = prefix + name
    if isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, item in value.items():
            if not XML_NAME.match(key):
                raise EnvelopeError(f"{key!r} (in {name}) cannot be an XML element name")
            _write(out, prefix, key, item, depth + 1)
        out.append(f"</{tag}>")
        return
    out.append(f"<{tag}>{_text(value)}</{tag}>")


def build_envelope(operation: SoapOperation, body: bytes) -> bytes:
    """The envelope for a JSON request body (an empty body gives no fields)."""
    if body.strip():
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise EnvelopeError(f"the body is not valid JSON: {exc}") from exc
    else:
        payload = {}
    if not isinstance(payload, dict):
        raise EnvelopeError("the body must be a JSON object whose keys are the operation's fields")
    unknown = [key for key in payload if key not in operation.fields]
    if unknown:
        named = ", ".join(operation.fields) or "none"
        raise EnvelopeError(f"{', '.join(unknown)}: not a field of {operation.element} (its fields: {named})")
    out: list[str] = []
    for name in operation.fields:
        if name in payload:
            _write(out, operation.field_prefix, name, payload[name], 1)
    return operation.head + "".join(out).encode() + operation.tail
