"""The request path's two SOAP-to-REST steps: the client's JSON made into the operation's envelope
before the backend call, and the backend's SOAP answer made into JSON after it."""

from __future__ import annotations

from apim_gateway.context import Exchange, GatewayResponse
from apim_gateway.errors import BACKEND_FAILED, BAD_REQUEST, GatewayError
from apim_gateway.soaptorest.envelope import EnvelopeError, build_envelope
from apim_gateway.soaptorest.mapping import SoapOperation
from apim_gateway.soaptorest.response import NotSoap, soap_to_json
from apim_gateway.upstream import UpstreamError, UpstreamResponse

# The client's headers that describe its JSON body, not the envelope the backend gets.
_REPLACED = frozenset(("content-type", "content-length", "soapaction", "accept", "content-encoding"))


async def to_soap(operation: SoapOperation, exchange: Exchange) -> None:
    """The request becomes a POST of the envelope to the endpoint's own address (400 on bad JSON)."""
    try:
        envelope = build_envelope(operation, await exchange.request_body())
    except EnvelopeError as exc:
        raise GatewayError(400, BAD_REQUEST, str(exc)) from None
    request = exchange.request
    request.method = "POST"
    # The SOAP service answers at its endpoint's URL: neither the resource path nor a query is its.
    request.path = ""
    request.query = ""
    request.headers = [*(h for h in request.headers if h[0] not in _REPLACED), *operation.headers]
    request.body = envelope


async def from_soap(upstream: UpstreamResponse, limit: int) -> GatewayResponse:
    """The backend's SOAP answer as JSON; one that is not SOAP, or larger than ``limit``, is a 502."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in upstream.iter_body():
            size += len(chunk)
            if size > limit:
                upstream.close()
                raise GatewayError(
                    502, BACKEND_FAILED, f"The backend's SOAP answer is larger than {limit} bytes"
                )
            chunks.append(chunk)
    except UpstreamError as exc:
        raise GatewayError(502, BACKEND_FAILED, f"The backend broke the exchange: {exc}") from exc
    try:
        status, body = soap_to_json(b"".join(chunks), upstream.status)
    except NotSoap as exc:
        raise GatewayError(502, BACKEND_FAILED, str(exc)) from None
    return GatewayResponse(status, [("content-type", "application/json")], body)
