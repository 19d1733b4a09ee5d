"""A SOAP-to-REST operation's mapping, compiled once per deployed revision.

The artifact carries, per REST resource, what the Publisher generated from the WSDL (and a
publisher may have edited): the SOAP version and action, the operation element with its namespace,
whether its children are namespace-qualified, and the ordered fields a JSON body may give. The
envelope's fixed text around the fields is built here, so a request only fills the fields in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

SOAP_11 = "1.1"
SOAP_12 = "1.2"
ENVELOPE_NS = {
    SOAP_11: "http://schemas.xmlsoap.org/soap/envelope/",
    SOAP_12: "http://www.w3.org/2003/05/soap-envelope",
}
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_OPERATION_PREFIX = "m"


@dataclass(frozen=True, slots=True)
class SoapOperation:
    """One REST resource's SOAP call: its headers and envelope text, precomputed."""

    soap_version: str
    action: str
    namespace: str
    element: str
    qualified: bool
    fields: tuple[str, ...]
    # The backend's Content-Type (and SOAPAction for 1.1) for this operation.
    headers: tuple[tuple[str, str], ...]
    # The envelope up to the operation element's content, and from its end tag on.
    head: bytes
    tail: bytes
    # What a field's element name is prefixed with: the operation's prefix when qualified.
    field_prefix: str

    @property
    def envelope_namespace(self) -> str:
        return ENVELOPE_NS[self.soap_version]


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise ValueError(f"a SOAP-to-REST mapping needs {key} as a string, not {value!r}")
    return value


def compile_operation(raw: Mapping[str, Any]) -> SoapOperation:
    """Raises ``ValueError`` naming what the mapping gets wrong."""
    version = _text(raw, "soapVersion")
    if version not in ENVELOPE_NS:
        raise ValueError(f"soapVersion must be 1.1 or 1.2, not {version!r}")
    action = _text(raw, "soapAction")
    namespace = _text(raw, "namespace")
    element = _text(raw, "element")
    if not XML_NAME.match(element):
        raise ValueError(f"element {element!r} is not an XML element name")
    qualified = raw.get("qualified", True)
    if not isinstance(qualified, bool):
        raise ValueError(f"qualified must be true or false, not {qualified!r}")
    fields = raw.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) and XML_NAME.match(f) for f in fields):
        raise ValueError(f"fields must be a list of XML element names, not {fields!r}")
    if any(c in action for c in '"\r\n'):
        raise ValueError("soapAction may not hold a double quote or a line break")
    if version == SOAP_11:
        headers: tuple[tuple[str, str], ...] = (
            ("content-type", "text/xml; charset=utf-8"),
            ("soapaction", f'"{action}"'),
        )
    else:
        action_part = f'; action="{action}"' if action else ""
        headers = (("content-type", f"application/soap+xml; charset=utf-8{action_part}"),)
    envelope = ENVELOPE_NS[version]
    declaration = f" xmlns:{_OPERATION_PREFIX}={quoteattr(namespace)}" if namespace else ""
    tag = f"{_OPERATION_PREFIX}:{element}" if namespace else element
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{envelope}"><soapenv:Body><{tag}{declaration}>'
    )
    tail = f"</{tag}></soapenv:Body></soapenv:Envelope>"
    return SoapOperation(
        soap_version=version,
        action=action,
        namespace=namespace,
        element=element,
        qualified=qualified,
        fields=tuple(fields),
        headers=headers,
        head=head.encode(),
        tail=tail.encode(),
        field_prefix=f"{_OPERATION_PREFIX}:" if namespace and qualified else "",
    )


def compile_operations(raw: Any) -> dict[tuple[str, str], SoapOperation]:
    """The artifact's ``soapToRest`` list by (verb, resource path)."""
    found: dict[tuple[str, str], SoapOperation] = {}
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            raise ValueError(f"a SOAP-to-REST mapping is an object, not {item!r}")
        verb = _text(item, "httpVerb").upper()
        path = "/" + _text(item, "resourcePath").strip("/")
        found[(verb, path)] = compile_operation(item)
    return found
