"""The shared services of the request path, in one typed object built once by ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass

from apim_gateway.graphql import QueryAnalyser
from apim_gateway.observability import Analytics, Metrics
from apim_gateway.policies.services import PolicyServices
from apim_gateway.ratelimit import RateLimits
from apim_gateway.request.analytics_event import EventBuilder
from apim_gateway.runtime.state import RuntimeState
from apim_gateway.security.backend_jwt import BackendJwtSigner
from apim_gateway.security.basic_auth import BasicAuthenticator
from apim_gateway.security.mtls import ClientCertificateReader
from apim_gateway.security.tokens import TokenVerifier
from apim_gateway.settings import Settings
from apim_gateway.upstream import UpstreamClient


@dataclass(frozen=True, slots=True)
class Services:
    """Every long-lived service a request step uses, handed to the ``Pipeline`` at construction.

    The steps take it (or the one service they need) as an argument; none of them reads a module
    global or the ``Gateway``. Policies see it as ``exchange.gateway_services``.
    """

    settings: Settings
    state: RuntimeState  # the deployed model, kept current by the syncer
    verifier: TokenVerifier  # JWTs and API keys, from any configured key manager
    basic_auth: BasicAuthenticator  # Basic credentials, checked by the key manager
    rate_limits: RateLimits  # its limiter is local or throttle-sync's leases
    upstream: UpstreamClient
    backend_jwt: BackendJwtSigner
    policies: PolicyServices  # what the built-in policies share (their background work)
    metrics: Metrics
    analytics: Analytics
    events: EventBuilder  # the analytics events of ``analytics``'s records, built off the response's way
    client_certificates: ClientCertificateReader  # mutual TLS: the terminator's header, if trusted
    graphql: QueryAnalyser  # GraphQL queries analysed once, then served from its cache
