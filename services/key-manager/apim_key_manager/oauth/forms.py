"""Reading /oauth2/* requests: form bodies and client credentials, failing as RFC 6749 says."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request

from apim_key_manager.oauth.errors import InvalidRequestError, invalid_client

MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    check_content_type(content_type)
    return parse_form(await request.body())


def check_content_type(content_type: str) -> None:
    if content_type.split(";", 1)[0].strip().lower() != "application/x-www-form-urlencoded":
        raise InvalidRequestError(description="The body must be application/x-www-form-urlencoded")


def parse_form(body: bytes) -> dict[str, str]:
    """The form's parameters; a repeated, undecodable or oversized one fails as RFC 6749 3.2 asks."""
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequestError(description="The body is too large")
    try:
        text = body.decode("utf-8")
        if "%" in text or "+" in text or not text:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(body))
        else:  # nothing to decode (a client_credentials grant): split as parse_qsl would
            pairs = [_pair(field) for field in text.split("&")]
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError(description="The body is not a valid form") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise InvalidRequestError(description=f"Parameter {key} is repeated")
        form[key] = value
    return form


def _pair(field: str) -> tuple[str, str]:
    name, equals, value = field.partition("=")
    if not equals:  # what parse_qsl's strict parsing refuses
        raise ValueError(f"bad query field: {field!r}")
    return name, value


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def client_credentials(header: str | None, form: dict[str, str]) -> ClientCredentials | None:
    """From the Basic ``Authorization`` header (RFC 6749 2.3.1, form-encoded id and secret) or the
    form; None if absent."""
    in_form = "client_id" in form and "client_secret" in form
    if header is None:
        if not in_form:
            return None
        return ClientCredentials(form["client_id"], form["client_secret"])
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("Client authentication must use the Basic scheme")
    if in_form:
        raise InvalidRequestError(description="Use one client authentication method")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("Malformed Basic credentials") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise invalid_client("Malformed Basic credentials")
    if "%" in decoded:
        client_id, secret = unquote(client_id), unquote(secret)
    return ClientCredentials(client_id, secret)
