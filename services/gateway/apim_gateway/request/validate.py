"""Validate: the request, then the backend's response, against the deployed definition
(``enableSchemaValidation``), as WSO2's schema validator does: after security and throttling,
before the request policies; on the backend's answer, before the response policies.

A request that breaks the definition is refused 400 (``400`` "Bad Request"), a response that does
is answered 500 (``500`` "Bad Response"). A JSON body is read whole (within the body limit),
validated and sent on as read.
"""

from __future__ import annotations

from apim_gateway.context import GatewayResponse, Headers, header
from apim_gateway.errors import BAD_REQUEST, BAD_RESPONSE, PAYLOAD_TOO_LARGE, RECEIVE_FAILED, GatewayError
from apim_gateway.request.body import BodyTooLarge, RequestBody
from apim_gateway.runtime.validation import (
    Invalid,
    OperationValidation,
    decoded,
    is_json,
    media_type_of,
    validate_json,
)
from apim_gateway.upstream import RequestBodyError, UpstreamResponse

_REQUEST_FAILED = "Schema validation failed in the Request: "
_RESPONSE_FAILED = "Schema validation failed in the Response: "
_NOT_FORWARDED = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade", b"transfer-encoding")
)


async def validate_request(
    validation: OperationValidation,
    path_params: dict[str, str],
    query: str,
    headers: Headers,
    body: RequestBody,
    limit: int,
) -> bytes | None:
    """The request body when it was read to be validated (to be sent on as it is), else None."""
    try:
        validation.check_parameters(path_params, query, headers)
        return await _check_body(validation, headers, body, limit)
    except Invalid as invalid:
        raise GatewayError(400, BAD_REQUEST, _REQUEST_FAILED + str(invalid)) from None


async def _check_body(
    validation: OperationValidation, headers: Headers, body: RequestBody, limit: int
) -> bytes | None:
    check = validation.body
    if check is None:
        return None
    if not _has_body(headers):
        if check.required:
            raise Invalid("a request body is required")
        return None
    content_type = header(headers, "content-type")
    if content_type is None:
        if check.media.declared and all(name != "*/*" for name, _ in check.media.declared):
            raise Invalid(f"the request body has no Content-Type; this operation accepts {check.media.names}")
        return None  # of no declared type: it streams to the backend unchecked
    else:
        media_type = media_type_of(content_type)
        accepted, validator = check.media.match(media_type)
        if not accepted:
            raise Invalid(
                f"the Content-Type {media_type!r} is not one this operation accepts ({check.media.names})"
            )
        if not is_json(media_type):
            return None  # declared, but not JSON: it streams to the backend unchecked
    if validator is None:
        return None
    try:
        data = await body.read()
    except BodyTooLarge as exc:
        raise GatewayError(413, PAYLOAD_TOO_LARGE, str(exc)) from None
    except RequestBodyError as exc:
        raise GatewayError(400, RECEIVE_FAILED, str(exc)) from None
    if not data:
        if check.required:
            raise Invalid("a request body is required")
        return data
    validate_json(validator, decoded(data, header(headers, "content-encoding"), limit))
    return data


def _has_body(headers: Headers) -> bool:
    for name, value in headers:
        if name == "transfer-encoding" or (name == "content-length" and value.strip() not in ("", "0")):
            return True
    return False


async def validate_response(
    validation: OperationValidation, upstream: UpstreamResponse, limit: int
) -> GatewayResponse | None:
    """The backend's answer read whole and found valid, or None when nothing holds it to a schema.

    A JSON body longer than ``limit`` cannot be shown valid: it is answered 500 like an invalid one.
    """
    media = validation.response_media(upstream.status)
    if media is None:
        return None
    content_type = encoding = None
    length = -1
    for name, value in upstream.headers:
        lowered = name.lower()
        if lowered == b"content-type":
            content_type = value.decode("latin-1")
        elif lowered == b"content-encoding":
            encoding = value.decode("latin-1")
        elif lowered == b"content-length" and value.isdigit():
            length = int(value)
    media_type = media_type_of(content_type)
    if not is_json(media_type):
        return None
    accepted, validator = media.match(media_type)
    if not accepted or validator is None:
        return None
    if length > limit:
        upstream.close()
        raise GatewayError(
            500, BAD_RESPONSE, f"{_RESPONSE_FAILED}the body is larger than the {limit} bytes validated"
        )
    chunks = []
    size = 0
    async for chunk in upstream.iter_body():
        size += len(chunk)
        if size > limit:
            upstream.close()
            raise GatewayError(
                500, BAD_RESPONSE, f"{_RESPONSE_FAILED}the body is larger than the {limit} bytes validated"
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if data:  # as WSO2, a response without the body its schema describes is let through
        try:
            validate_json(validator, decoded(data, encoding, limit))
        except Invalid as invalid:
            raise GatewayError(500, BAD_RESPONSE, _RESPONSE_FAILED + str(invalid)) from None
    return GatewayResponse(
        upstream.status,
        [
            (k.decode("latin-1").lower(), v.decode("latin-1"))
            for k, v in upstream.headers
            if k.lower() not in _NOT_FORWARDED
        ],
        data,
    )
