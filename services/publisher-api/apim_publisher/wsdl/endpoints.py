"""SOAP APIs from WSDL documents: validate, import, read and replace the WSDL."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import ValidationError

from apim_common.db import SessionDep
from apim_common.errors import BadRequest, NotFound
from apim_common.outbound import fetch_bytes
from apim_publisher import scopes
from apim_publisher.apis import aggregate, views
from apim_publisher.apis import service as apis
from apim_publisher.apis.schemas import APIBody, APIPublic, Operation
from apim_publisher.definitions import parsing
from apim_publisher.definitions.parsing import ParseError
from apim_publisher.soaptorest import service as soap_to_rest
from apim_publisher.wsdl import service

router = APIRouter(tags=["Validation", "APIs"])


async def _read(request: Request, file: UploadFile | None, url: str | None) -> bytes:
    if (file is None) == (not url):
        raise BadRequest("Give either a WSDL file or a url")
    if file is not None:
        return await file.read()
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise BadRequest("url must be an http:// or https:// URL")
    http: httpx.AsyncClient = request.app.state.outbound
    try:
        status, content = await fetch_bytes(http, url, max_bytes=service.MAX_BYTES)
    except httpx.InvalidURL as exc:
        raise BadRequest(f"url is not a valid URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise BadRequest(f"The WSDL could not be fetched from {url}: {type(exc).__name__}") from exc
    if status != 200:
        raise BadRequest(f"The WSDL could not be fetched from {url}: HTTP {status}")
    return content


def _checked(content: bytes) -> dict[str, Any]:
    info, errors = service.inspect(content)
    if info is None:
        raise BadRequest("; ".join(errors), message="Invalid WSDL")
    return info


@router.post("/apis/validate-wsdl")
async def validate_wsdl(
    request: Request,
    principal: scopes.CreatorOrManager,
    file: Annotated[UploadFile | None, File()] = None,
    url: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    info, errors = service.inspect(await _read(request, file, url))
    if info is None:
        return {
            "isValid": False,
            "errors": [{"code": "400", "message": "Invalid WSDL", "description": e} for e in errors],
        }
    return {"isValid": True, "wsdlInfo": info}


@router.post("/apis/import-wsdl", status_code=201, response_model=APIPublic)
async def import_wsdl(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
    additionalProperties: Annotated[str, Form()],
    file: Annotated[UploadFile | None, File()] = None,
    url: Annotated[str | None, Form()] = None,
    implementationType: Annotated[str, Form(pattern="^(SOAP|SOAPTOREST)$")] = "SOAP",
) -> APIPublic:
    """A pass-through SOAP API: every POST goes to the service's address from the WSDL; or
    (SOAPTOREST) a REST API whose resources are the WSDL's operations."""
    content = await _read(request, file, url)
    info = _checked(content)
    try:
        properties = parsing.load_json(additionalProperties)
    except ParseError as exc:
        raise BadRequest(f"additionalProperties must be a JSON object: {exc}") from exc
    if not isinstance(properties, dict):
        raise BadRequest("additionalProperties must be a JSON object (the API's fields)")
    try:
        body = APIBody.model_validate({**properties, "type": "SOAP"})  # SOAPTOREST: set when made
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise BadRequest(problems, message="Invalid API properties") from exc
    if not body.operations and implementationType == "SOAP":
        body.operations = [Operation(target="/*", verb="POST")]
    if body.endpointConfig is None and info["endpoints"]:
        body = APIBody.model_validate(
            {
                **body.model_dump(),
                "endpointConfig": {
                    "endpoint_type": "http",
                    "production_endpoints": {"url": info["endpoints"][0]["location"]},
                    "sandbox_endpoints": {"url": info["endpoints"][0]["location"]},
                },
            }
        )
    if implementationType == "SOAPTOREST":
        api = await soap_to_rest.create(session, principal, body, await soap_to_rest.read_wsdl(content))
    else:
        api = await apis.create(session, principal, body)
    api.spec = {**api.spec, "wsdl": content.decode("utf-8", "replace"), "wsdlType": implementationType}
    # Announced again with its WSDL, which the developer portal serves.
    await aggregate.announce(session, api, "api.updated")
    response.headers["Location"] = f"/api/am/publisher/v4/apis/{api.id}"
    return views.public(api)


@router.get("/apis/{apiId}/wsdl")
async def get_wsdl(apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage) -> Response:
    api = await apis.get(session, principal, apiId)
    if not api.spec.get("wsdl"):
        raise NotFound(f"API '{api.name}' has no WSDL", message="WSDL Not Found")
    return Response(str(api.spec["wsdl"]), media_type="text/xml; charset=utf-8")


@router.put("/apis/{apiId}/wsdl")
async def put_wsdl(
    apiId: str,
    request: Request,
    session: SessionDep,
    principal: scopes.CreatorOrManager,
    file: Annotated[UploadFile | None, File()] = None,
    url: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    api = await apis.get(session, principal, apiId)
    content = await _read(request, file, url)
    info = _checked(content)
    api.spec = {**api.spec, "wsdl": content.decode("utf-8", "replace")}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return {"isValid": True, "wsdlInfo": info}


@router.get("/apis/{apiId}/wsdl-info")
async def wsdl_info(apiId: str, session: SessionDep, principal: scopes.ApiViewOrManage) -> dict[str, Any]:
    api = await apis.get(session, principal, apiId)
    if not api.spec.get("wsdl"):
        raise NotFound(f"API '{api.name}' has no WSDL", message="WSDL Not Found")
    info, _ = service.inspect(str(api.spec["wsdl"]).encode())
    return {"type": "WSDL", **(info or {})}
