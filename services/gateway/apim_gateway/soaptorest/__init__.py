"""SOAP-to-REST APIs: each REST resource calls one WSDL operation. The mapping the Publisher
generated is compiled per deployed revision (``mapping.py``); a request's JSON becomes the
envelope (``envelope.py``, the stdlib only) and the SOAP answer or fault becomes JSON
(``response.py``, parsed with defusedxml); ``step.py`` puts both on the request path."""

from apim_gateway.soaptorest.envelope import EnvelopeError, build_envelope
from apim_gateway.soaptorest.mapping import (
    SOAP_11,
    SOAP_12,
    SoapOperation,
    compile_operation,
    compile_operations,
)
from apim_gateway.soaptorest.response import NotSoap, soap_to_json
from apim_gateway.soaptorest.step import from_soap, to_soap

__all__ = [
    "SOAP_11",
    "SOAP_12",
    "EnvelopeError",
    "NotSoap",
    "SoapOperation",
    "build_envelope",
    "compile_operation",
    "compile_operations",
    "from_soap",
    "soap_to_json",
    "to_soap",
]
