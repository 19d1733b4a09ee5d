"""/oauth2/token, /oauth2/introspect and /oauth2/revoke (RFC 6749, 7662, 7009).

A POST to /oauth2/token or /oauth2/introspect is served by the plain-ASGI front
(``oauth/asgi.py``) before FastAPI routes it; these two routes document the paths and serve the
app when it is built without the front (``create_app(oauth_front=False)``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from apim_key_manager.context import KeyManagerDep
from apim_key_manager.oauth import exchange
from apim_key_manager.oauth.errors import NO_STORE, InvalidRequestError
from apim_key_manager.oauth.forms import read_form

router = APIRouter(prefix="/oauth2", tags=["OAuth2"])


def _json(body: dict[str, Any]) -> Response:
    return Response(exchange.encode_json(body), media_type="application/json", headers=NO_STORE)


@router.post("/token", summary="Issue tokens")
async def token(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    client_ip = request.client.host if request.client else ""
    return _json(await exchange.token(km, form, request.headers, request.scope, client_ip))


@router.post("/introspect", summary="Introspect a token")
async def introspect(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    return _json(await exchange.introspection(km, form, request.headers.get("authorization")))


@router.post("/revoke", summary="Revoke a token")
async def revoke(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    # RFC 7009 2.1: a public client names itself with client_id (the portals' sign-out).
    client = await exchange.authenticated_client(km, request.headers.get("authorization"), form, public=True)
    token = form.get("token")
    if not token:
        raise InvalidRequestError(description="token is required")
    await km.tokens.revoke(client, token)
    return Response(status_code=200, headers=NO_STORE)
