"""The client's handshake, checked as an HTTP request is: route, deny rules, lifecycle,
credentials (``Authorization``, ``?access_token=`` or the API key), scopes, subscription.

A WebSocket API's operations are its topics (verbs SUBSCRIBE and PUBLISH): the handshake is
routed to the API by context, version and vhost, then its path after them is the topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.types import Scope

from apim_gateway.context import AuthContext, Headers
from apim_gateway.errors import NO_MATCHING_RESOURCE, GatewayError
from apim_gateway.request.authenticate import authenticate
from apim_gateway.request.authorize import authorize
from apim_gateway.request.deny import deny_api, deny_caller
from apim_gateway.request.lifecycle import check_lifecycle
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.route import route
from apim_gateway.request.services import Services
from apim_gateway.request.subscription import check_subscription
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.security.tokens import VerifiedToken

TOPIC_VERBS = ("SUBSCRIBE", "PUBLISH")
ACCESS_TOKEN = "access_token"
# What a client puts in the query for a header of the backend's handshake, as WSO2 reads it.
CUSTOM_HEADER = "websocket.custom.header."


@dataclass(slots=True)
class Handshake:
    """An admitted client: who it is and what the backend's handshake carries."""

    api: CompiledApi
    op: Operation
    auth: AuthContext
    verified: VerifiedToken | None
    client_ip: str
    backend_path: str  # the topic's path, percent-encoded, appended to the backend URL
    query: str  # without ``access_token`` nor the custom-header parameters
    backend_headers: Headers  # from ``websocket.custom.header.<Name>``
    subprotocols: list[str]


async def admit(services: Services, scope: Scope) -> Handshake:
    """Raises ``GatewayError`` with the refusal the client gets as an HTTP answer."""
    state = services.state
    headers: Headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    client = scope.get("client")
    client_ip = client[0] if client else ""
    outcome = Outcome()
    api, op, backend_path = _route(services, scope, headers, outcome)
    deny = state.deny.get(api.tenant)
    if deny is not None:
        deny_api(deny, api, client_ip)
    check_lifecycle(api)
    query, token, backend_headers = _split_query(scope["query_string"].decode("latin-1"))
    if token and not any(name == api.authorization_header for name, _ in headers):
        # Browsers cannot set headers on a WebSocket: the token comes in the query instead.
        headers.append((api.authorization_header, f"Bearer {token}"))
    auth = AuthContext(tenant=api.tenant)
    verified: VerifiedToken | None = None
    if op.secured:
        verified = await authenticate(services, api, headers, query, auth, outcome, client_ip, scope)
        authorize(op, auth)
        if verified is not None:
            check_subscription(state, api, verified, auth, client_ip)
        if deny is not None:
            deny_caller(deny, auth)
    subprotocols = [
        p.strip() for name, value in headers if name == "sec-websocket-protocol" for p in value.split(",")
    ]
    return Handshake(
        api,
        op,
        auth,
        verified,
        client_ip,
        backend_path,
        query,
        backend_headers,
        [p for p in subprotocols if p],
    )


def _route(
    services: Services, scope: Scope, headers: Headers, outcome: Outcome
) -> tuple[CompiledApi, Operation, str]:
    """The WS API and the topic: declared as SUBSCRIBE or as PUBLISH (404 900906 otherwise)."""
    for verb in TOPIC_VERBS:
        try:
            api, op, _, backend_path = route(services.state, scope, verb, headers, outcome)
        except GatewayError:
            found = outcome.api
            if found is not None and found.graphql is not None:  # subscriptions: its GET route
                api, op, _, backend_path = route(services.state, scope, "GET", headers, outcome)
                return api, op, backend_path
            if found is None or found.websocket is None or verb == TOPIC_VERBS[-1]:
                raise
            continue
        if api.websocket is None:
            break
        return api, op, backend_path
    raise GatewayError(404, NO_MATCHING_RESOURCE, f"No WebSocket API is deployed for {scope['path']}")


def _split_query(query: str) -> tuple[str, str | None, Headers]:
    """The query for the backend, the ``access_token`` and the custom headers, apart."""
    if not query or (ACCESS_TOKEN not in query and CUSTOM_HEADER not in query):
        return query, None, []
    kept: list[tuple[str, str]] = []
    token: str | None = None
    custom: Headers = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == ACCESS_TOKEN:
            token = value
        elif name.startswith(CUSTOM_HEADER) and len(name) > len(CUSTOM_HEADER):
            custom.append((name[len(CUSTOM_HEADER) :], value))
        else:
            kept.append((name, value))
    return urlencode(kept), token, custom
