"""WSDL documents of SOAP APIs: read safely (no entities, no external references), summarised."""

from __future__ import annotations

from typing import Any

from defusedxml import ElementTree  # type: ignore[import-untyped]
from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]

WSDL_11 = "http://schemas.xmlsoap.org/wsdl/"
WSDL_20 = "http://www.w3.org/ns/wsdl"
MAX_BYTES = 10 * 1024 * 1024


def inspect(content: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """``({version, endpoints: [{name, location}]}, [])`` for a WSDL 1.1 or 2.0 document, else the errors."""
    if not content.strip():
        return None, ["The WSDL document is empty"]
    if len(content) > MAX_BYTES:
        return None, ["The WSDL document is larger than 10 MiB"]
    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        return None, [f"Not a well-formed XML document: {exc}"]
    namespace = root.tag.partition("}")[0].lstrip("{")
    local = root.tag.rpartition("}")[2]
    if namespace == WSDL_11 and local == "definitions":
        version, service_tag, port_tag = "1.1", f"{{{WSDL_11}}}service", f"{{{WSDL_11}}}port"
    elif namespace == WSDL_20 and local == "description":
        version, service_tag, port_tag = "2.0", f"{{{WSDL_20}}}service", f"{{{WSDL_20}}}endpoint"
    else:
        return None, ["The document is not a WSDL 1.1 <definitions> or WSDL 2.0 <description>"]
    endpoints = []
    for service in root.iter(service_tag):
        for port in service.iter(port_tag):
            location = port.get("address") or next(
                (child.get("location") for child in port if child.get("location")), None
            )
            if location:
                endpoints.append(
                    {"name": port.get("name") or service.get("name") or "", "location": location}
                )
    return {"version": version, "endpoints": endpoints}, []
