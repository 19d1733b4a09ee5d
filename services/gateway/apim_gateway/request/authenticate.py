"""Authenticate, per the API's security schemes: a client certificate (mutual TLS), an OAuth2 JWT
from any configured key manager, an API key in the API's own header or query parameter, or Basic
credentials (401 900901/900902/900903); then revocation, and a token bound to a client
certificate (RFC 8705 ``cnf.x5t#S256``) only with that certificate (401 900901)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from apim_gateway.context import AuthContext, Headers
from apim_gateway.errors import INVALID_CREDENTIALS, MISSING_CREDENTIALS, GatewayError
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi
from apim_gateway.runtime.client_certificates import ClientCertificate, MutualTls
from apim_gateway.security import basic_auth
from apim_gateway.security.tokens import VerifiedToken

MUTUAL_SSL = "mutualssl"
_NO_CERTIFICATE = "The call presents no client certificate uploaded for this API and valid now"
_UNCONFIRMED = (
    "The access token is bound to a client certificate (cnf x5t#S256) that the call does not present"
)


def authenticate(
    services: Services,
    api: CompiledApi,
    headers: Headers,
    query: str,
    auth: AuthContext,
    outcome: Outcome,
    client_ip: str = "",
    scope: Mapping[str, Any] | None = None,
) -> Awaitable[VerifiedToken | None]:
    """Fills ``auth`` and puts the headers without the credentials in ``outcome``; the verified
    token, or None for a call authenticated by Basic credentials or by a certificate alone (which
    need no subscription, as in WSO2). ``scope``: the ASGI scope, whose ``tls`` extension holds
    the certificate the TLS peer presented."""
    mutual_tls = api.mutual_tls
    # The scheme's coroutine itself, awaited by the caller: no coroutine layer of its own.
    if mutual_tls is not None:
        return _with_certificate(services, mutual_tls, api, headers, query, auth, outcome, client_ip, scope)
    return authenticate_application(services, api, headers, query, auth, outcome, client_ip, scope)


async def _with_certificate(
    services: Services,
    mutual_tls: MutualTls,
    api: CompiledApi,
    headers: Headers,
    query: str,
    auth: AuthContext,
    outcome: Outcome,
    client_ip: str,
    scope: Mapping[str, Any] | None,
) -> VerifiedToken | None:
    """The API's rule (``runtime/client_certificates.py``) decides what the call needs."""
    rule = mutual_tls.rule
    if rule.read_certificate:
        certificate = services.client_certificates.certificate(mutual_tls, headers, client_ip)
        if certificate is None:
            if rule.certificate_required:
                raise GatewayError(401, INVALID_CREDENTIALS, _NO_CERTIFICATE)
        else:
            _certificate_caller(certificate, auth)
            if rule.certificate_suffices:
                outcome.headers_after_auth = headers
                return None
    return await authenticate_application(services, api, headers, query, auth, outcome, client_ip, scope)


def _certificate_caller(certificate: ClientCertificate, auth: AuthContext) -> None:
    """A certificate stands for its own caller: its tier is the call's subscription-level tier,
    counted per certificate (WSO2 keys it by the certificate, there being no application)."""
    auth.auth_type = MUTUAL_SSL
    auth.subscriber = certificate.subject or certificate.alias
    auth.application_id = f"{MUTUAL_SSL}:{certificate.sha256}"
    auth.application_name = certificate.alias
    auth.subscription_tier = certificate.tier


async def authenticate_application(
    services: Services,
    api: CompiledApi,
    headers: Headers,
    query: str,
    auth: AuthContext,
    outcome: Outcome,
    client_ip: str,
    scope: Mapping[str, Any] | None,
) -> VerifiedToken | None:
    """An application-level credential: OAuth2 token, API key or Basic credentials; what
    ``authenticate`` runs for an API without client certificates, called directly by a route
    known at deploy time to have none."""
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
    if not services.client_certificates.confirms(verified.claims, scope, headers, client_ip):
        raise GatewayError(401, INVALID_CREDENTIALS, _UNCONFIRMED)
    outcome.headers_after_auth = outcome_headers
    auth.claims = verified.claims
    auth.scopes = verified.scopes
    auth.subscriber = verified.subject
    auth.auth_type = "api_key" if api_key else "oauth2"
    return verified
