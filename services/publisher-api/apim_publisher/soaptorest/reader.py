"""A WSDL's operations read with zeep: for each, the SOAP call the gateway makes and the JSON
schemas of its REST resource.

zeep reads the document alone: no DTD, no entities, nothing fetched (an import or include that
names another document is refused), so a WSDL cannot make the Publisher reach anywhere. The
binding used is the first SOAP 1.1 one, else the first SOAP 1.2 one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from zeep.exceptions import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from zeep.settings import Settings
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsdl.bindings.soap import Soap11Binding, Soap12Binding
from zeep.xsd.types import builtins
from zeep.xsd.types.complex import ComplexType

MAX_DEPTH = 12


class WsdlError(ValueError):
    """The WSDL cannot be made into a SOAP-to-REST API."""


class _NoFetch(Transport):
    """zeep's transport, refusing every document a WSDL names beyond itself."""

    def load(self, url: str) -> bytes:
        raise WsdlError(f"the WSDL refers to another document ({url}); give one self-contained WSDL")


@dataclass(frozen=True, slots=True)
class WsdlOperation:
    name: str
    soap_version: str
    action: str
    namespace: str
    element: str
    qualified: bool
    fields: tuple[str, ...]
    request_schema: dict[str, Any] = field(default_factory=dict)
    response_schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WsdlService:
    operations: tuple[WsdlOperation, ...]
    address: str | None


def _scalar(xsd_type: Any) -> dict[str, Any]:
    if isinstance(xsd_type, builtins.Boolean):
        return {"type": "boolean"}
    if isinstance(xsd_type, builtins.Integer):
        return {"type": "integer"}
    if isinstance(xsd_type, builtins.Decimal | builtins.Float | builtins.Double):
        return {"type": "number"}
    return {"type": "string"}


def _schema(element: Any, depth: int) -> dict[str, Any]:
    xsd_type = getattr(element, "type", None)
    if depth > MAX_DEPTH:
        schema: dict[str, Any] = {}
    elif isinstance(xsd_type, ComplexType):
        schema = _object(xsd_type, depth + 1)
    else:
        schema = _scalar(xsd_type)
    max_occurs = getattr(element, "max_occurs", 1)
    if max_occurs == "unbounded" or (isinstance(max_occurs, int) and max_occurs > 1):
        schema = {"type": "array", "items": schema}
    return schema


def _children(xsd_type: Any) -> list[tuple[str, Any]]:
    return [(name, child) for name, child in xsd_type.elements if getattr(child, "type", None) is not None]


def _object(xsd_type: Any, depth: int) -> dict[str, Any]:
    children = _children(xsd_type)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: _schema(child, depth) for name, child in children},
    }
    required = [name for name, child in children if not getattr(child, "is_optional", True)]
    if required:
        schema["required"] = required
    return schema


def _namespace(qname: Any) -> str:
    return str(getattr(qname, "namespace", None) or "")


def _operation(name: str, operation: Any, soap_version: str) -> WsdlOperation:
    body = operation.input.body if operation.input is not None else None
    if body is None:
        namespace, element, qualified = "", name, True
        fields: tuple[str, ...] = ()
        request: dict[str, Any] = {"type": "object", "properties": {}}
    else:
        namespace, element = _namespace(body.qname), str(body.qname.localname)
        children = _children(body.type) if isinstance(body.type, ComplexType) else []
        fields = tuple(child_name for child_name, _ in children)
        qualified = all(_namespace(getattr(child, "qname", None)) == namespace for _, child in children)
        request = _object(body.type, 1) if isinstance(body.type, ComplexType) else {"type": "object"}
    out = operation.output.body if operation.output is not None else None
    response: dict[str, Any] = {"type": "object"}
    if out is not None:
        response["properties"] = {str(out.qname.localname): _schema(out, 1)}
    return WsdlOperation(
        name=name,
        soap_version=soap_version,
        action=str(operation.soapaction or ""),
        namespace=namespace,
        element=element,
        qualified=qualified,
        fields=fields,
        request_schema=request,
        response_schema=response,
    )


def read(content: bytes) -> WsdlService:
    """The operations of the WSDL's first SOAP binding; ``WsdlError`` saying why there are none."""
    settings = Settings(strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        document = Document(io.BytesIO(content), _NoFetch(cache=None), settings=settings)  # type: ignore[arg-type,no-untyped-call]
    except WsdlError:
        raise
    except ExternalReferenceForbidden as exc:
        raise WsdlError(
            f"the WSDL refers to another document ({exc}); give one self-contained WSDL"
        ) from None
    except (DTDForbidden, EntitiesForbidden):
        raise WsdlError("the WSDL declares a DTD or entities, which are refused") from None
    except Exception as exc:  # zeep and lxml raise many kinds for a document they cannot read
        raise WsdlError(f"zeep cannot read the WSDL: {type(exc).__name__}: {exc}") from None
    chosen: tuple[Any, str, str | None] | None = None
    for kind, version in ((Soap11Binding, "1.1"), (Soap12Binding, "1.2")):
        for service in document.services.values():
            for port in service.ports.values():
                if isinstance(port.binding, kind) and chosen is None:
                    chosen = (port.binding, version, (port.binding_options or {}).get("address"))
    if chosen is None:
        raise WsdlError("the WSDL has no SOAP 1.1 or SOAP 1.2 binding in a service port")
    binding, version, address = chosen
    try:
        operations = tuple(_operation(name, op, version) for name, op in binding.all().items())
    except Exception as exc:
        raise WsdlError(f"an operation of the WSDL cannot be read: {type(exc).__name__}: {exc}") from None
    if not operations:
        raise WsdlError("the WSDL's SOAP binding has no operation")
    return WsdlService(operations, address)
