"""RFC 6749 errors of /oauth2/*: authlib's error types, rendered as ``{error, error_description}``."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from fastapi import Request
from fastapi.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

__all__ = [
    "NO_STORE",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "OAuth2Error",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "invalid_client",
    "oauth_error_response",
    "render",
]


def invalid_client(description: str = "Client authentication failed") -> InvalidClientError:
    # RFC 6749 5.2: 401 with a challenge, since clients may authenticate with the Basic scheme.
    return InvalidClientError(description=description, status_code=401)


def render(exc: OAuth2Error) -> tuple[int, dict[str, str], dict[str, str]]:
    """The status, ``{error, error_description}`` body and headers an OAuth error answers with."""
    body = {"error": exc.error or "invalid_request"}
    description = exc.description or exc.get_error_description()
    if description:
        body["error_description"] = description
    headers = dict(NO_STORE)
    status = exc.status_code or 400
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return status, body, headers


async def oauth_error_response(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuth2Error)
    status, body, headers = render(exc)
    return JSONResponse(body, status_code=status, headers=headers)
