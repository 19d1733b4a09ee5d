"""What /oauth2/token and /oauth2/introspect answer, from a request's form and headers.

Both fronts call these: the plain-ASGI one (``oauth/asgi.py``) that serves every POST, and the
FastAPI routes (``oauth/endpoints.py``) that document the paths. Errors are raised as authlib's
``OAuth2Error``; the front renders them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from apim_key_manager.clients.service import ClientRecord
from apim_key_manager.context import KeyManager
from apim_key_manager.oauth import service
from apim_key_manager.oauth.errors import InvalidRequestError, UnsupportedGrantTypeError, invalid_client
from apim_key_manager.oauth.forms import client_credentials

# Grants a public client (no secret; PKCE-bound codes) may use.
PUBLIC_GRANTS = frozenset({service.AUTHORIZATION_CODE, service.REFRESH_TOKEN})

# One encoder built once: json.dumps with separators builds a new one on every call.
encode_json = json.JSONEncoder(separators=(",", ":")).encode


async def authenticated_client(
    km: KeyManager, authorization: str | None, form: dict[str, str], *, public: bool = False
) -> ClientRecord:
    """The authenticated client; with ``public``, also a public client named by ``client_id`` alone."""
    credentials = client_credentials(authorization, form)
    if credentials is None:
        client_id = form.get("client_id")
        if public and client_id and authorization is None:
            record = await km.clients.public(client_id)
            if record is not None:
                return record
        raise invalid_client("Client authentication is required")
    client = await km.clients.authenticate(credentials.client_id, credentials.client_secret)
    if client is None:
        raise invalid_client()
    return client


async def token(
    km: KeyManager,
    form: dict[str, str],
    headers: Mapping[str, str],
    scope: Mapping[str, Any],
    client_ip: str,
) -> dict[str, Any]:
    """The token response of one grant; ``headers`` by lower-case name, ``scope`` the ASGI scope
    (its TLS extension carries the client certificate)."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequestError(description="grant_type is required")
    client = await authenticated_client(
        km, headers.get("authorization"), form, public=grant_type in PUBLIC_GRANTS
    )
    requested = form.get("scope", "").split()
    tokens = km.tokens
    certificate = tokens.presented_certificate(scope, headers, client_ip)
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
    return issued.body()


async def introspection(km: KeyManager, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
    """RFC 7662's answer to a client, or to a user by Basic credentials (as WSO2 allows)."""
    credentials = client_credentials(authorization, form)
    if credentials is None:
        raise invalid_client("Authentication is required")
    client = await km.clients.authenticate(credentials.client_id, credentials.client_secret)
    if client is not None:
        caller = service.Introspector.of_client(client)
    else:
        async with km.database.session() as session:
            user = await km.users.authenticate(session, credentials.client_id, credentials.client_secret)
            if user is None:
                raise invalid_client()
            roles = tuple(await km.users.roles(session, user))
            caller = service.Introspector(tenant=user.tenant, roles=roles)
    token = form.get("token")
    if not token:
        raise InvalidRequestError(description="token is required")
    return await km.tokens.introspect(token, caller)
