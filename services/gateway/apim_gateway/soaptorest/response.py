"""A SOAP response to JSON, as WSO2's JSON formatter writes a SOAP body.

The body's children become keys by their local names (namespaces dropped), a repeated element an
array, attributes ``@name`` and text beside children ``$`` (as the ``xmlToJson`` policy writes
them); texts that read as numbers or booleans become those (WSO2's auto-primitive); an empty
element is ``null``. A fault, SOAP 1.1 or 1.2, becomes
``{"Fault": {"faultcode", "faultstring", "detail"}}``, answered 500 as WSO2 answers it.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

from apim_gateway.policies.builtin.transform import element_value, local_name
from apim_gateway.soaptorest.mapping import ENVELOPE_NS

_ENVELOPES = frozenset(ENVELOPE_NS.values())
FAULT_STATUS = 500


class NotSoap(ValueError):
    """The backend's answer is not a SOAP envelope."""


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


def _text_of(element: Element | None, *path: str) -> str:
    for name in path:
        if element is None:
            return ""
        element = _child(element, name)
    return "" if element is None else "".join(element.itertext()).strip()


def _fault(fault: Element) -> dict[str, Any]:
    """SOAP 1.1 ``faultcode``, ``faultstring``, ``detail``; 1.2 ``Code/Value``, ``Reason/Text``."""
    if _child(fault, "Code") is not None:
        code, string, detail = _text_of(fault, "Code", "Value"), _text_of(fault, "Reason", "Text"), "Detail"
    else:
        code, string, detail = _text_of(fault, "faultcode"), _text_of(fault, "faultstring"), "detail"
    found: dict[str, Any] = {"faultcode": code, "faultstring": string}
    detail_element = _child(fault, detail)
    if detail_element is not None:
        found["detail"] = element_value(detail_element, schema_instance=True)
    return {"Fault": found}


def soap_to_json(body: bytes, status: int) -> tuple[int, bytes]:
    """The status and JSON body for a backend's SOAP answer; ``NotSoap`` when it is none."""
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, RecursionError) as exc:
        raise NotSoap(f"the backend's answer is not XML: {exc}") from exc
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    if namespace not in _ENVELOPES or local_name(root.tag) != "Envelope":
        raise NotSoap(f"the backend's answer is <{local_name(root.tag)}>, not a SOAP envelope")
    soap_body = root.find(f"{{{namespace}}}Body")
    if soap_body is None:
        raise NotSoap("the backend's SOAP envelope has no Body")
    fault = soap_body.find(f"{{{namespace}}}Fault")
    try:
        if fault is not None:
            document: dict[str, Any] = _fault(fault)
            status = FAULT_STATUS
        else:
            document = {}
            value = element_value(soap_body, schema_instance=True)
            if isinstance(value, dict):
                document = {k: v for k, v in value.items() if not k.startswith("@")}
    except RecursionError as exc:
        raise NotSoap("the backend's answer is nested too deeply") from exc
    return status, json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
