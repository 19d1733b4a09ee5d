"""The published keys and the discovery document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from apim_key_manager.context import KeyManagerDep
from apim_key_manager.keys import crypto

router = APIRouter(tags=["Keys"])

GRANT_TYPES = [
    "client_credentials",
    "password",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
]


@router.get("/oauth2/jwks", summary="Public keys of access tokens and API keys")
async def jwks(km: KeyManagerDep) -> JSONResponse:
    ring = await km.keys.current()
    return JSONResponse(ring.jwks_document(), headers={"Cache-Control": "public, max-age=60"})


def _discovery(request: Request, issuer: str) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{base}/oauth2/token",
        "jwks_uri": f"{base}/oauth2/jwks",
        "introspection_endpoint": f"{base}/oauth2/introspect",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "registration_endpoint": f"{base}/client-registration/v0.17/register",
        "grant_types_supported": GRANT_TYPES,
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": list(crypto.ALGORITHMS),
        "subject_types_supported": ["public"],
        "scopes_supported": ["openid", "default"],
        "claims_supported": ["iss", "sub", "aud", "azp", "scope", "tenant", "roles", "iat", "exp", "jti"],
    }


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata")
async def openid_configuration(request: Request, km: KeyManagerDep) -> JSONResponse:
    return JSONResponse(_discovery(request, km.settings.token_issuer))


@router.get("/oauth2/token/.well-known/openid-configuration", summary="OpenID Provider metadata (WSO2 path)")
async def wso2_openid_configuration(request: Request, km: KeyManagerDep) -> JSONResponse:
    return JSONResponse(_discovery(request, km.settings.token_issuer))
