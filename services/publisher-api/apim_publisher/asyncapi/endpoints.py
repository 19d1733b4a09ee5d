"""AsyncAPI definitions: validation, and the definition kept with an API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_common.errors import BadRequest, NotFound
from apim_publisher import scopes
from apim_publisher.apis import aggregate
from apim_publisher.apis import service as apis
from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError

router = APIRouter(tags=["Validation", "APIs"])
PROTOCOLS = {
    "ws": "WS",
    "wss": "WS",
    "http": "WEBSUB",
    "https": "WEBSUB",
    "sse": "SSE",
    "kafka": "ASYNC",
    "mqtt": "ASYNC",
}


def inspect(raw: bytes | str) -> tuple[dict[str, Any] | None, dict[str, Any], list[str]]:
    """The document, WSO2's summary of it and the reasons it is not a usable AsyncAPI 2.x/3.x definition."""
    try:
        document = parsing.load_yaml(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ParseError) as exc:
        return None, {}, [f"Not JSON or YAML: {exc}"]
    if not isinstance(document, dict):
        return None, {}, ["The definition must be an object"]
    errors = []
    version = str(document.get("asyncapi") or "")
    if not version.startswith(("2.", "3.")):
        errors.append("asyncapi: a 2.x or 3.x version is required")
    info: dict[str, Any] = document["info"] if isinstance(document.get("info"), dict) else {}
    if not info.get("title") or not info.get("version"):
        errors.append("info: title and version are required")
    if not isinstance(document.get("channels"), dict):
        errors.append("channels: an object of channels is required")
    servers: dict[str, Any] = document["servers"] if isinstance(document.get("servers"), dict) else {}
    protocols = sorted(
        {str(s.get("protocol")) for s in servers.values() if isinstance(s, dict) and s.get("protocol")}
    )
    summary = {
        "name": info.get("title"),
        "version": info.get("version"),
        "description": info.get("description"),
        "asyncAPIVersion": version,
        "protocol": PROTOCOLS.get(protocols[0], "ASYNC") if protocols else "WS",
        "endpoints": [str(s.get("url") or s.get("host")) for s in servers.values() if isinstance(s, dict)],
        "gatewayVendor": "wso2",
        "asyncTransportProtocols": protocols,
    }
    return (document if not errors else None), summary, errors


async def _source(file: UploadFile | None, inline: str | None) -> bytes | str:
    if file is not None:
        return await file.read()
    if inline:
        return inline
    raise BadRequest("Give a file or an inline AsyncAPI definition")


@router.post("/apis/validate-asyncapi")
async def validate_asyncapi(
    principal: scopes.CreatorOrManager,
    file: Annotated[UploadFile | None, File()] = None,
    inlineAPIDefinition: Annotated[str | None, Form()] = None,
    returnContent: bool = False,
) -> dict[str, Any]:
    raw = await _source(file, inlineAPIDefinition)
    document, summary, errors = inspect(raw)
    if document is None:
        return {
            "isValid": False,
            "errors": [{"code": "400", "message": "Invalid AsyncAPI", "description": e} for e in errors],
        }
    body: dict[str, Any] = {"isValid": True, "info": summary}
    if returnContent:
        body["content"] = raw.decode() if isinstance(raw, bytes) else raw
    return body


@router.get("/apis/{apiId}/asyncapi")
async def get_asyncapi(apiId: str, session: SessionDep, principal: scopes.DefinitionRead) -> JSONResponse:
    api = await apis.get(session, principal, apiId)
    if not api.spec.get("asyncapi"):
        raise NotFound(
            f"API '{api.name}' has no AsyncAPI definition", message="AsyncAPI definition not found"
        )
    return JSONResponse(api.spec["asyncapi"])


@router.put("/apis/{apiId}/asyncapi")
async def put_asyncapi(
    apiId: str,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
    file: Annotated[UploadFile | None, File()] = None,
    apiDefinition: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    api = await apis.get(session, principal, apiId)
    document, _, errors = inspect(await _source(file, apiDefinition))
    if document is None:
        raise BadRequest("; ".join(errors), message="Invalid AsyncAPI definition")
    api.spec = {**api.spec, "asyncapi": document}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return JSONResponse(document)
