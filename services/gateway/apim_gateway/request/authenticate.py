"""Authenticate, per the API's security schemes: an OAuth2 JWT from any configured key manager,
an API key in the API's own header or query parameter, or Basic credentials
(401 900901/900902/900903); then revocation."""

from __future__ import annotations

from urllib.parse import parse_qsl

from apim_gateway.context import AuthContext, Headers
from apim_gateway.errors import INVALID_CREDENTIALS, MISSING_CREDENTIALS, GatewayError
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.security import basic_auth
from apim_gateway.security.tokens import VerifiedToken


async def authenticate(
    services: Services,
    api: CompiledApi,
    headers: Headers,
    query: str,
    auth: AuthContext,
    outcome: Outcome,
    client_ip: str = "",
) -> VerifiedToken | None:
    """Fills ``auth`` and puts the headers without the credentials in ``outcome``; the verified
    token, or None for a Basic-authenticated call (which needs no subscription, as in WSO2)."""
    security = api.security
    outcome_headers = headers
    credential: str | None = None
    api_key = False
    if "oauth2" in security:
        header_name = api.authorization_header
        for name, value in headers:
            if name == header_name:
                scheme, _, token = value.partition(" ")
                if scheme.lower() == "bearer" and token:
                    credential = token.strip()
                    outcome_headers = [(k, v) for k, v in headers if k != header_name]
                break
    if credential is None and "api_key" in security:
        header_name = api.api_key_header
        for name, value in headers:
            if name == header_name and value:
                credential = value.strip()
                outcome_headers = [(k, v) for k, v in headers if k != header_name]
                api_key = True
                break
        if credential is None and query:
            for name, value in parse_qsl(query, keep_blank_values=False):
                if name == api.api_key_query:
                    credential = value
                    api_key = True
                    break
    if credential is None:
        if "basic_auth" in security:
            remaining = await basic_auth.authenticate(services.basic_auth, api, headers, auth, client_ip)
            if remaining is not None:
                outcome.headers_after_auth = remaining
                return None
        raise GatewayError(
            401,
            MISSING_CREDENTIALS,
            "Invalid Credentials. Make sure your API invocation call has a header: "
            f"'{api.authorization_header.title()} : Bearer ACCESS_TOKEN'"
            + (f" or '{api.api_key_header} : API_KEY'" if "api_key" in security else ""),
        )
    verifier = services.verifier
    verified = await verifier.verify(credential, api, api_key=api_key)
    if verifier.revoked(verified):
        raise GatewayError(401, INVALID_CREDENTIALS, "The access token has been revoked")
    outcome.headers_after_auth = outcome_headers
    auth.claims = verified.claims
    auth.scopes = verified.scopes
    auth.subscriber = verified.subject
    auth.auth_type = "api_key" if api_key else "oauth2"
    return verified
