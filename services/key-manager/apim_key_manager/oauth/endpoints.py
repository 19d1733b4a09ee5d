"""/oauth2/token, /oauth2/introspect and /oauth2/revoke (RFC 6749, 7662, 7009)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from apim_key_manager.clients.service import ClientRecord
from apim_key_manager.context import KeyManager, KeyManagerDep
from apim_key_manager.oauth import service
from apim_key_manager.oauth.errors import (
    NO_STORE,
    InvalidRequestError,
    UnsupportedGrantTypeError,
    invalid_client,
)
from apim_key_manager.oauth.forms import client_credentials, read_form

router = APIRouter(prefix="/oauth2", tags=["OAuth2"])
# Grants a public client (no secret; PKCE-bound codes) may use.
PUBLIC_GRANTS = frozenset({service.AUTHORIZATION_CODE, service.REFRESH_TOKEN})


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json", headers=NO_STORE)


async def _client(
    km: KeyManager, request: Request, form: dict[str, str], *, public: bool = False
) -> ClientRecord:
    """The authenticated client; with ``public``, also a public client named by ``client_id`` alone."""
    credentials = client_credentials(request, form)
    if credentials is None:
        client_id = form.get("client_id")
        if public and client_id and "authorization" not in request.headers:
            record = await km.clients.public(client_id)
            if record is not None:
                return record
        raise invalid_client("Client authentication is required")
    client = await km.clients.authenticate(credentials.client_id, credentials.client_secret)
    if client is None:
        raise invalid_client()
    return client


@router.post("/token", summary="Issue tokens")
async def token(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequestError(description="grant_type is required")
    client = await _client(km, request, form, public=grant_type in PUBLIC_GRANTS)
    requested = form.get("scope", "").split()
    tokens = km.tokens
    certificate = tokens.presented_certificate(
        request.scope, request.headers, request.client.host if request.client else ""
    )
    if certificate is not None:
        client = dataclasses.replace(client, certificate=certificate)
    if grant_type == service.CLIENT_CREDENTIALS:
        issued = await tokens.client_credentials(client, requested)
    elif grant_type == service.PASSWORD:
        issued = await tokens.password(client, form.get("username"), form.get("password"), requested)
    elif grant_type == service.AUTHORIZATION_CODE:
        issued = await tokens.authorization_code(
            client, form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        )
    elif grant_type == service.REFRESH_TOKEN:
        issued = await tokens.refresh(client, form.get("refresh_token"), requested)
    elif grant_type == service.JWT_BEARER:
        issued = await tokens.jwt_bearer(client, form.get("assertion"), requested)
    else:
        raise UnsupportedGrantTypeError(grant_type)
    return _json(issued.body())


@router.post("/introspect", summary="Introspect a token")
async def introspect(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    credentials = client_credentials(request, form)
    if credentials is None:
        raise invalid_client("Authentication is required")
    client = await km.clients.authenticate(credentials.client_id, credentials.client_secret)
    if client is not None:
        caller = service.Introspector.of_client(client)
    else:
        # WSO2 also takes the Basic credentials of a user here.
        async with km.database.session() as session:
            user = await km.users.authenticate(session, credentials.client_id, credentials.client_secret)
            if user is None:
                raise invalid_client()
            roles = tuple(await km.users.roles(session, user))
            caller = service.Introspector(tenant=user.tenant, roles=roles)
    token = form.get("token")
    if not token:
        raise InvalidRequestError(description="token is required")
    return _json(await km.tokens.introspect(token, caller))


@router.post("/revoke", summary="Revoke a token")
async def revoke(request: Request, km: KeyManagerDep) -> Response:
    form = await read_form(request)
    # RFC 7009 2.1: a public client names itself with client_id (the portals' sign-out).
    client = await _client(km, request, form, public=True)
    token = form.get("token")
    if not token:
        raise InvalidRequestError(description="token is required")
    await km.tokens.revoke(client, token)
    return Response(status_code=200, headers=NO_STORE)
