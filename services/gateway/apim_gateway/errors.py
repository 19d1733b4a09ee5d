"""The gateway's error answers: WSO2's numeric codes in ``{"code", "message", "description"}``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import Send

NO_MATCHING_RESOURCE = ("900906", "No matching resource found for given API Request")
UNCLASSIFIED = ("900900", "Unclassified Authentication Failure")
INVALID_CREDENTIALS = ("900901", "Invalid Credentials")
MISSING_CREDENTIALS = ("900902", "Missing Credentials")
TOKEN_EXPIRED = ("900903", "Access Token Expired")
API_BLOCKED_BY_SUBSCRIPTION = ("900907", "The requested API is temporarily blocked")
RESOURCE_FORBIDDEN = ("900908", "Resource forbidden ")
SUBSCRIPTION_INACTIVE = ("900909", "The subscription to the API is inactive")
SCOPE_NOT_ALLOWED = ("900910", "The access token does not allow you to access the requested resource")
DENIED = ("900805", "Message blocked")
API_BLOCKED = ("700700", "API blocked")
BACKEND_UNREACHABLE = ("101503", "Error connecting to the back end")
BACKEND_TIMEOUT = ("101504", "Connection timed out")
BACKEND_FAILED = ("101500", "Error in the back end")
RECEIVE_FAILED = ("101001", "Receiver input/output error receiving")
# As WSO2's threat protectors answer: the HTTP status as the code.
BAD_REQUEST = ("400", "Bad Request")
# A backend answer that breaks the API's definition (enableSchemaValidation), as WSO2 answers it.
BAD_RESPONSE = ("500", "Bad Response")
PAYLOAD_TOO_LARGE = ("413", "Payload Too Large")


class GatewayError(Exception):
    """An answer of the request path: ``status`` with the WSO2 code, message and description."""

    def __init__(
        self,
        status: int,
        error: tuple[str, str],
        description: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code, self.message = error
        self.description = description
        self.headers = headers


def error_body(code: str, message: str, description: str) -> bytes:
    return json.dumps({"code": code, "message": message, "description": description}).encode()


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    description: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    body = error_body(code, message, description)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
