"""One error hierarchy for the control plane, rendered as WSO2's error body.

    APIError (500)
    ├── BadRequest (400)
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── MethodNotAllowed (405)
    ├── Conflict (409)
    ├── PreconditionFailed (412)
    ├── UnsupportedMediaType (415)
    ├── TooManyRequests (429)
    └── ServiceUnavailable (503)

Every answer has the shape ``{code, message, description, moreInfo, error: [{code, message, description}]}``.
Request validation errors answer 400, as WSO2 does, listing each offending field. Under the
schemas, a value the database refuses answers 400 and a broken constraint 409, never 500.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class ErrorListItem(BaseModel):
    code: str
    message: str
    description: str = ""


class ErrorBody(BaseModel):
    code: int
    message: str
    description: str = ""
    moreInfo: str = ""
    error: list[ErrorListItem] = Field(default_factory=list)


class APIError(Exception):
    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        description: str = "",
        *,
        message: str | None = None,
        code: int | None = None,
        errors: Sequence[ErrorListItem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description or message or self.default_message)
        self.message = message or self.default_message
        self.description = description
        self.code = code if code is not None else self.status_code
        self.errors = list(errors)
        self.headers = headers

    def body(self) -> ErrorBody:
        return ErrorBody(
            code=self.code, message=self.message, description=self.description, error=self.errors
        )


class BadRequest(APIError):
    status_code = 400
    default_message = "Bad Request"


class Unauthorized(APIError):
    status_code = 401
    default_message = "Unauthorized"


class Forbidden(APIError):
    status_code = 403
    default_message = "Forbidden"


class NotFound(APIError):
    status_code = 404
    default_message = "Not Found"


class MethodNotAllowed(APIError):
    status_code = 405
    default_message = "Method Not Allowed"


class Conflict(APIError):
    status_code = 409
    default_message = "Conflict"


class PreconditionFailed(APIError):
    status_code = 412
    default_message = "Precondition Failed"


class UnsupportedMediaType(APIError):
    status_code = 415
    default_message = "Unsupported Media Type"


class TooManyRequests(APIError):
    status_code = 429
    default_message = "Too Many Requests"


class ServiceUnavailable(APIError):
    status_code = 503
    default_message = "Service Unavailable"


def _encodable(value: Any) -> Any:
    """``value`` with lone surrogates (from a ``\\ud800`` escape in a request) written as escapes:
    an error that quotes the input must still be encodable as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    return value


def error_response(status_code: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(_encodable(body.model_dump()), status_code=status_code, headers=headers)


def _field_path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(exc.status_code, exc.body(), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = []
    for err in exc.errors():
        field = _field_path(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            items.append(ErrorListItem(code="400", message="Malformed JSON", description=str(err.get("msg"))))
        else:
            items.append(ErrorListItem(code="400", message=field, description=str(err.get("msg"))))
    description = "; ".join(f"{i.message}: {i.description}" for i in items)
    body = ErrorBody(code=400, message="Bad Request", description=description, error=items)
    return error_response(400, body)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        message = HTTPStatus(exc.status_code).phrase
    except ValueError:
        message = "Error"
    detail = exc.detail if isinstance(exc.detail, str) else message
    body = ErrorBody(code=exc.status_code, message=message, description=detail)
    return error_response(exc.status_code, body, dict(exc.headers or {}))


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    body = ErrorBody(
        code=500, message="Internal Server Error", description="The server could not complete the request"
    )
    return error_response(500, body)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
