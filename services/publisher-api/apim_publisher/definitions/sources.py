"""Where a definition comes from (an upload, a URL fetched through the outbound guard, or inline
text) and the ``additionalProperties`` that come with an import: shared by the OpenAPI, AsyncAPI
and GraphQL endpoints."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import File, Form, Request, UploadFile

from apim_common.errors import BadRequest
from apim_common.outbound import fetch_bytes
from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError

MAX_DEFINITION_BYTES = 5 * 1024 * 1024

OptionalFile = Annotated[UploadFile | None, File()]
OptionalForm = Annotated[str | None, Form()]


async def upload_bytes(upload: UploadFile | None) -> bytes | None:
    return await upload.read() if upload is not None else None


async def read_source(
    http: httpx.AsyncClient, *, file: bytes | None, url: str | None, inline: str | None
) -> bytes | str:
    given = [s for s in (file, url, inline) if s]
    if len(given) != 1:
        raise BadRequest("Give exactly one of 'file', 'url' or 'inlineAPIDefinition'/'apiDefinition'")
    if file:
        if len(file) > MAX_DEFINITION_BYTES:
            raise BadRequest("The definition is larger than 5 MiB")
        return file
    if inline:
        return inline
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise BadRequest(f"'{url}' is not an http(s) URL")
    try:
        status, content = await fetch_bytes(http, url, max_bytes=MAX_DEFINITION_BYTES)
    except httpx.InvalidURL as exc:
        raise BadRequest(f"url is not a valid URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise BadRequest(f"Could not fetch the definition from {url}: {type(exc).__name__}") from exc
    if status >= 400:
        raise BadRequest(f"Could not fetch the definition from {url}: HTTP {status}")
    return content


async def read_request(
    request: Request, file: UploadFile | None, *, url: str | None = None, inline: str | None = None
) -> bytes | str:
    """The definition a request gives: its upload, its URL fetched through the app's outbound
    client, or its inline text."""
    return await read_source(
        request.app.state.outbound, file=await upload_bytes(file), url=url, inline=inline
    )


def additional_properties(raw: str | None) -> dict[str, Any]:
    """The API's fields sent beside an imported definition, as a stringified JSON object."""
    if not raw:
        return {}
    try:
        value = parsing.load_json(raw)
    except ParseError as exc:
        raise BadRequest(f"additionalProperties is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRequest("additionalProperties must be a JSON object (the API's fields)")
    return value


def default_context(name: str) -> str:
    """The context an imported API gets when neither the definition nor the caller gives one."""
    return "/" + "".join(ch for ch in name.lower() if ch.isalnum() or ch in "-_")
