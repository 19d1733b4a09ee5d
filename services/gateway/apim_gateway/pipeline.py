"""The request path, in ARCHITECTURE.md's order; every step reads what deployment precompiled.

route (vhost, ``/t/{tenant}``, context, version, verb + URI template; 404 900906)
-> deny policies (403 900805) -> lifecycle (BLOCKED: 503 700700)
-> authentication per the API's securityScheme (OAuth2 JWT, API key; 401 900901/900902/900903)
-> revocation -> scopes (403 900910) -> subscription (403 900908, 401 900907/900909)
-> rate limits (``ratelimit.py``) -> request policies -> backend JWT -> maxTps (503 900801)
-> backend (load balance / failover, breakers, timeouts) -> response policies
-> metrics, analytics, trace.

A policy refusing, or the backend failing, runs the fault flow on the error answer. Bodies stream
both ways unless a policy needs them whole: a request body of unknown or large size is written to
the backend while the client sends it (``RequestBody``), and the response body streams from the
backend to the client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import Receive, Scope, Send

from apim_common.subscription_availability import tenant_may_subscribe
from apim_gateway.backends.endpoints import PRODUCTION, EndpointGroup
from apim_gateway.context import AuthContext, Exchange, GatewayRequest, GatewayResponse, Headers
from apim_gateway.errors import (
    API_BLOCKED,
    API_BLOCKED_BY_SUBSCRIPTION,
    BACKEND_FAILED,
    BACKEND_TIMEOUT,
    BACKEND_UNREACHABLE,
    BAD_REQUEST,
    DENIED,
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    NO_MATCHING_RESOURCE,
    PAYLOAD_TOO_LARGE,
    RECEIVE_FAILED,
    RESOURCE_FORBIDDEN,
    SCOPE_NOT_ALLOWED,
    SUBSCRIPTION_INACTIVE,
    GatewayError,
    error_body,
)
from apim_gateway.policies import Chain, PolicyRefusal
from apim_gateway.policies.builtin.routing import join_target, split_url
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.paths import BadPath, encoded_resource, split_path
from apim_gateway.runtime.state import DenyRules
from apim_gateway.runtime.tiers import ConditionInput
from apim_gateway.security import basic_auth
from apim_gateway.security.tokens import VerifiedToken, subscribed_api
from apim_gateway.upstream import (
    BodyStream,
    ConnectError,
    RequestBodyError,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)

if TYPE_CHECKING:
    from apim_gateway.app import Gateway

logger = logging.getLogger(__name__)

# Never forwarded: connection management, framing (the client sets its own), Host, and Expect
# (the ASGI server answered the client's 100-continue; the backend gets the body unasked).
_HOP_BY_HOP = frozenset(
    (
        "host",
        "expect",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "transfer-encoding",
    )
)
_RESPONSE_HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade", b"transfer-encoding")
)
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
_JSON = (b"content-type", b"application/json")
_ACTIVE_SUBSCRIPTION = "UNBLOCKED"
_OTHER_TENANT = (
    "User is NOT authorized to access the Resource. The API is not available to the application's tenant."
)
_BACKEND_JWT_VARIABLE = "backend_jwt"
_REDIRECT_VARIABLE = "redirect_url"
# A request body announced at most this long is read whole before the backend call, so that it
# can be sent again (a retried connection, the next failover endpoint); longer ones stream.
_SMALL_BODY = 64 * 1024


def _denied(description: str) -> GatewayError:
    return GatewayError(403, DENIED, description)


class Pipeline:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        settings = gateway.settings
        self.state = gateway.state
        self.metrics = gateway.metrics
        self.analytics = gateway.analytics
        self.backend_jwt_all = settings.backend_jwt_enabled
        self.backend_jwt_header = settings.backend_jwt_header.lower()
        self.backend_jwt_ttl = settings.backend_jwt_ttl
        self.backend_jwt_user_claims = settings.backend_jwt_user_claims
        self.max_request_body = settings.gateway_max_request_body_size
        self.tracer: trace.Tracer | None = None

    # -- entry ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        method: str = scope["method"]
        headers: Headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        client = scope.get("client")
        client_ip = client[0] if client else ""
        tracer = self.tracer
        span = None
        trace_headers: list[tuple[bytes, bytes]] = []
        if tracer is not None:
            carrier = {k: v for k, v in headers if k in ("traceparent", "tracestate")}
            span = tracer.start_span(
                f"{method} {scope['path']}", context=propagate.extract(carrier), kind=SpanKind.SERVER
            )
            outgoing: dict[str, str] = {}
            propagate.inject(outgoing, context=trace.set_span_in_context(span))
            trace_headers = [(k.encode(), v.encode()) for k, v in outgoing.items()]
            headers = [(k, v) for k, v in headers if k not in ("traceparent", "tracestate")]
        outcome = _Outcome()
        try:
            await self._serve(scope, receive, send, method, headers, client_ip, trace_headers, outcome)
        finally:
            elapsed = time.perf_counter() - start
            api = outcome.api
            api_label = api.name + ":" + api.version if api is not None else "-"
            self.metrics.observe(api_label, method, outcome.status, elapsed)
            if outcome.throttled is not None:
                self.metrics.throttled(api_label, outcome.throttled)
            if api is not None and self.analytics.enabled:
                auth = outcome.auth
                self.analytics.record(
                    (
                        time.time(),
                        api.tenant,
                        api.id,
                        api.name,
                        api.version,
                        method,
                        outcome.resource,
                        outcome.status,
                        elapsed * 1000,
                        auth.application_id if auth else None,
                        auth.key_type if auth else None,
                        auth.subscriber if auth else None,
                        client_ip,
                        outcome.code,
                    )
                )
            if span is not None:
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.response.status_code", outcome.status)
                if api is not None:
                    span.set_attribute("apim.api.id", api.id)
                    span.set_attribute("apim.api.context", api.context)
                if outcome.status >= 500:
                    span.set_status(StatusCode.ERROR)
                span.end()

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        method: str,
        headers: Headers,
        client_ip: str,
        trace_headers: list[tuple[bytes, bytes]],
        outcome: _Outcome,
    ) -> None:
        state = self.state
        raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
        try:
            try:
                path, encoded_path = split_path(raw_path)
            except BadPath as exc:
                raise GatewayError(400, BAD_REQUEST, str(exc)) from None
            host = ""
            for name, value in headers:
                if name == "host":
                    host = value.rsplit(":", 1)[0].lower() if not value.endswith("]") else value.lower()
                    break
            routed = state.router.route(host, path)
            if routed is None:
                raise GatewayError(404, NO_MATCHING_RESOURCE, f"No API is deployed for {method} {path}")
            api, resource_path = routed
            outcome.api = api
            matched = api.operation(method, resource_path)
            if matched is None:
                if method == "OPTIONS" and any(k == "access-control-request-method" for k, _ in headers):
                    matched = api.preflight_for(headers, resource_path), {}
                else:
                    raise GatewayError(
                        404,
                        NO_MATCHING_RESOURCE,
                        f"No resource of {api.name} matches {method} {resource_path}",
                    )
            op, path_params = matched
            outcome.resource = op.target
            deny = state.deny.get(api.tenant)
            if deny is not None:
                self._check_deny(deny, api, client_ip)
            if api.blocked:
                raise GatewayError(
                    503,
                    API_BLOCKED,
                    "This API has been blocked temporarily. Please try again later or contact the "
                    "system administrators.",
                )
            auth = AuthContext(tenant=api.tenant)
            outcome.auth = auth
            query: str = scope["query_string"].decode("latin-1")
            if op.secured:
                verified = await self._authenticate(api, op, headers, query, auth, client_ip, outcome)
                headers = outcome.headers_after_auth
                if deny is not None and (
                    (auth.application_id and auth.application_id in deny.applications)
                    or (auth.subscriber and _user_denied(deny, auth.subscriber))
                ):
                    raise _denied("You have been blocked from accessing the resource")
                await self._rate_limit(api, op, auth, verified, headers, query, client_ip)
            else:
                await self._rate_limit(api, op, auth, None, headers, query, client_ip)
            limit = op.chain.max_request_body or self.max_request_body
            body = RequestBody(receive, headers, limit)
            if body.declared_too_large:
                raise GatewayError(
                    413,
                    PAYLOAD_TOO_LARGE,
                    f"The request body is larger than the {limit} bytes this API accepts",
                )
        except GatewayError as error:
            await self._answer_error(send, error, outcome)
            return

        exchange = Exchange(
            request=GatewayRequest(
                method, encoded_resource(resource_path, path, encoded_path), query, headers, client_ip
            ),
            tenant=api.tenant,
            api_id=api.id,
            api_context=api.context,
            api_version=api.version,
            resource=op.target,
            path_params=path_params,
            auth=auth,
            gateway_services=self.gateway,
        )
        exchange.variables["api_name"] = api.name
        # The API's own credential headers, which log policies must mask whatever their name.
        exchange.variables["credential_headers"] = (api.authorization_header, api.api_key_header)
        exchange.read_request_body = body.read
        chain = op.chain
        upstream: UpstreamResponse | None = None
        try:
            if chain.request:
                if chain.needs_request_body:
                    await exchange.request_body()
                for policy in chain.request:
                    reply = await policy.on_request(exchange)
                    if reply is not None:
                        exchange.response = GatewayResponse(reply.status, reply.headers, reply.body)
                        break
            if exchange.response is None:
                upstream = await self._call_backend(api, op, exchange, body, trace_headers)
                if not chain.response:
                    outcome.status = upstream.status
                    await self._stream(send, upstream, upstream.headers)
                    return
                exchange.response = GatewayResponse(
                    upstream.status,
                    [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in upstream.headers],
                    await upstream.read() if chain.needs_response_body else None,
                )
            for policy in chain.response:
                await policy.on_response(exchange)
        except BodyTooLarge as exc:
            await self._fault(send, exchange, chain, 413, PAYLOAD_TOO_LARGE, str(exc), outcome)
            return
        except RequestBodyError as exc:
            await self._fault(send, exchange, chain, 400, RECEIVE_FAILED, str(exc), outcome)
            return
        except PolicyRefusal as refusal:
            if upstream is not None:
                upstream.close()
            await self._fault(
                send,
                exchange,
                chain,
                refusal.status,
                (refusal.code, refusal.message),
                refusal.description,
                outcome,
            )
            return
        except GatewayError as error:
            if upstream is not None:
                upstream.close()
            if error.headers:
                await self._answer_error(send, error, outcome)
                return
            await self._fault(
                send, exchange, chain, error.status, (error.code, error.message), error.description, outcome
            )
            return
        response = exchange.response
        assert response is not None
        outcome.status = response.status
        out_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if response.body is not None or upstream is None:
            if upstream is not None:
                upstream.close()
            await _send_whole(send, response.status, out_headers, response.body or b"")
        else:
            await self._stream(send, upstream, out_headers, status=response.status)

    # -- steps ------------------------------------------------------------------------------------

    def _check_deny(self, deny: DenyRules, api: CompiledApi, client_ip: str) -> None:
        if deny.apis:
            context = api.context if api.tenant == "carbon.super" else f"/t/{api.tenant}{api.context}"
            if context in deny.apis or f"{context}/{api.version}" in deny.apis:
                raise _denied(f"The API {api.name} is blocked")
        if client_ip and (deny.ips or deny.ip_ranges or deny.inverted_ips) and deny.ip_denied(client_ip):
            raise _denied(f"Requests from {client_ip} are blocked")

    async def _authenticate(
        self,
        api: CompiledApi,
        op: Operation,
        headers: Headers,
        query: str,
        auth: AuthContext,
        client_ip: str,
        outcome: _Outcome,
    ) -> VerifiedToken | None:
        """Fills ``auth``; on success the headers without the credentials go to ``outcome``."""
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
                remaining = await basic_auth.authenticate(self.gateway, api, op, headers, auth)
                if remaining is not None:  # no subscription for Basic calls, as in WSO2
                    outcome.headers_after_auth = remaining
                    return None
            raise GatewayError(
                401,
                MISSING_CREDENTIALS,
                "Invalid Credentials. Make sure your API invocation call has a header: "
                f"'{api.authorization_header.title()} : Bearer ACCESS_TOKEN'"
                + (f" or '{api.api_key_header} : API_KEY'" if "api_key" in security else ""),
            )
        verifier = self.gateway.verifier
        verified = await verifier.verify(credential, api, api_key=api_key)
        if verifier.revoked(verified):
            raise GatewayError(401, INVALID_CREDENTIALS, "The access token has been revoked")
        outcome.headers_after_auth = outcome_headers
        claims = verified.claims
        auth.claims = claims
        auth.scopes = verified.scopes
        auth.subscriber = verified.subject
        auth.auth_type = "api_key" if api_key else "oauth2"
        if op.scopes and not (op.scopes & verified.scopes):
            raise GatewayError(
                403,
                SCOPE_NOT_ALLOWED,
                f"The access token does not allow you to access the requested resource "
                f"(needs one of: {', '.join(sorted(op.scopes))})",
            )
        if api_key:
            self._api_key_subscription(api, verified, auth, client_ip)
        else:
            self._oauth_subscription(api, verified, auth)
        return verified

    def _oauth_subscription(self, api: CompiledApi, verified: VerifiedToken, auth: AuthContext) -> None:
        state = self.state
        auth.consumer_key = verified.consumer_key
        mapping = (
            state.key_mappings.get((verified.key_manager.name, verified.consumer_key))
            if verified.consumer_key
            else None
        )
        if mapping is None:
            if api.prototyped:
                return
            raise GatewayError(
                403,
                RESOURCE_FORBIDDEN,
                "User is NOT authorized to access the Resource. API Subscription validation failed.",
            )
        auth.key_type = mapping.key_type
        self._subscription(api, mapping.application_id, auth)

    def _api_key_subscription(
        self, api: CompiledApi, verified: VerifiedToken, auth: AuthContext, client_ip: str
    ) -> None:
        claims = verified.claims
        application = claims.get("application") or {}
        auth.key_type = str(claims.get("keytype") or PRODUCTION).upper()
        permitted_ip = str(claims.get("permittedIP") or "")
        if permitted_ip and client_ip not in {ip.strip() for ip in permitted_ip.split(",")}:
            raise GatewayError(403, RESOURCE_FORBIDDEN, "The API key may not be used from this address")
        entry = subscribed_api(claims, api)
        if entry is None and not api.prototyped:
            raise GatewayError(
                403,
                RESOURCE_FORBIDDEN,
                "User is NOT authorized to access the Resource. API Subscription validation failed.",
            )
        if not tenant_may_subscribe(api.artifact, api.tenant, str(claims.get("tenant") or api.tenant)):
            raise GatewayError(403, RESOURCE_FORBIDDEN, _OTHER_TENANT)
        app_id = str(application.get("uuid") or application.get("id") or "")
        auth.application_id = app_id or None
        auth.application_name = application.get("name")
        auth.application_tier = application.get("tier")
        auth.subscription_tier = str(entry.get("subscriptionTier")) if entry else None
        # The live model knows more than the key (a subscription blocked since it was issued).
        if app_id and (app_id in self.state.applications or (app_id, api.id) in self.state.subscriptions):
            self._subscription(api, app_id, auth)

    def _subscription(self, api: CompiledApi, app_id: str, auth: AuthContext) -> None:
        state = self.state
        app = state.applications.get(app_id)
        auth.application_id = app_id
        if app is not None:
            auth.application_name = app.name
            auth.application_tier = app.tier
            if app.owner and not auth.subscriber:
                auth.subscriber = app.owner
        subscription = state.subscriptions.get((app_id, api.id))
        if subscription is None:
            if api.prototyped:
                return
            raise GatewayError(
                403,
                RESOURCE_FORBIDDEN,
                "User is NOT authorized to access the Resource. API Subscription validation failed.",
            )
        if app is not None and not tenant_may_subscribe(api.artifact, api.tenant, app.tenant):
            raise GatewayError(403, RESOURCE_FORBIDDEN, _OTHER_TENANT)
        auth.subscription_tier = subscription.tier
        status = subscription.status
        if status != _ACTIVE_SUBSCRIPTION:
            if status == "BLOCKED" or (status == "PROD_ONLY_BLOCKED" and auth.key_type == PRODUCTION):
                raise GatewayError(
                    401, API_BLOCKED_BY_SUBSCRIPTION, "The subscription to this API is blocked"
                )
            if status != "PROD_ONLY_BLOCKED":
                raise GatewayError(
                    401, SUBSCRIPTION_INACTIVE, f"The subscription to this API is {status.lower()}"
                )

    async def _rate_limit(
        self,
        api: CompiledApi,
        op: Operation,
        auth: AuthContext,
        verified: VerifiedToken | None,
        headers: Headers,
        query: str,
        client_ip: str,
    ) -> None:
        tiers = self.state.tiers.get(api.tenant)
        if tiers is None:
            return
        user = auth.subscriber or client_ip

        def conditions() -> ConditionInput:
            return (dict(headers), dict(parse_qsl(query)), client_ip, auth.claims)

        def variables() -> Mapping[str, str]:
            return {
                "userId": user,
                "apiContext": api.context,
                "apiVersion": api.version,
                "appId": auth.application_id or "",
                "clientIp": client_ip,
                "resourceKey": f"{api.context}/{api.version}{op.target}:{op.verb}",
                "appTenant": api.tenant,
                "apiTenant": api.tenant,
            }

        await self.gateway.rate_limits.check(
            tiers,
            tenant=api.tenant,
            api_id=api.id,
            api_policy=api.api_throttling_policy,
            verb=op.verb,
            target=op.target,
            resource_policy=op.throttling_policy,
            application_id=auth.application_id,
            user=user,
            subscription_tier=auth.subscription_tier,
            application_tier=auth.application_tier,
            conditions=conditions,
            variables=variables,
        )

    def _group(self, api: CompiledApi, op: Operation, key_type: str) -> EndpointGroup:
        if op.backends is not None:
            product_group = op.backends.get(key_type)
            if product_group is not None:
                return product_group
        source = api
        if op.backend_api_id is not None:
            member = self.state.apis.get(op.backend_api_id)
            if member is None:
                raise GatewayError(
                    503, BACKEND_UNREACHABLE, "The API behind this product operation is not deployed"
                )
            source = member
        group = source.backends.get(key_type)
        if group is None:
            raise GatewayError(
                401, INVALID_CREDENTIALS, f"The API has no {key_type.lower()} endpoint for this key"
            )
        return group

    async def _call_backend(
        self,
        api: CompiledApi,
        op: Operation,
        exchange: Exchange,
        source: RequestBody,
        trace_headers: list[tuple[bytes, bytes]],
    ) -> UpstreamResponse:
        request = exchange.request
        variables = exchange.variables
        settings = variables.get(_BACKEND_JWT_VARIABLE)
        if settings is not None or self.backend_jwt_all:
            self._add_backend_jwt(exchange, settings)
        key_type = exchange.auth.key_type
        limit = api.max_tps.get(key_type)
        if limit is not None:
            await self.gateway.rate_limits.backend(api.backend_keys[key_type], limit)
        body = request.body if request.body is not None else await source.for_upstream()
        method = request.method.encode()
        outgoing = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers if k not in _HOP_BY_HOP
        ]
        if request.client_ip:
            outgoing.append((b"x-forwarded-for", request.client_ip.encode()))
        if trace_headers:
            outgoing += trace_headers
        upstream = self.gateway.upstream
        redirect = variables.get(_REDIRECT_VARIABLE)
        if redirect is not None:
            origin, base_path = split_url(str(redirect))
            target = join_target(base_path, request.path, request.query)
            try:
                return await upstream.request(
                    origin,
                    method,
                    target,
                    outgoing,
                    body,
                    read_timeout=self.gateway.settings.gateway_backend_timeout,
                )
            except UpstreamTimeout as exc:
                raise GatewayError(504, BACKEND_TIMEOUT, f"{redirect} did not answer in time") from exc
            except UpstreamError as exc:
                raise GatewayError(503, BACKEND_UNREACHABLE, f"{redirect}: {exc}") from exc
        group = self._group(api, op, key_type)
        endpoints = group.try_order()
        retry_timeouts = request.method in _IDEMPOTENT
        last: GatewayError | None = None
        for endpoint in endpoints:
            try:
                response = await upstream.request(
                    endpoint.origin,
                    method,
                    join_target(endpoint.base_path, request.path, request.query),
                    outgoing,
                    body,
                    read_timeout=endpoint.timeout,
                )
            except UpstreamTimeout as exc:
                endpoint.breaker.failure(time.monotonic())
                last = GatewayError(
                    504, BACKEND_TIMEOUT, f"The backend did not answer within {endpoint.timeout:g} s"
                )
                if not retry_timeouts or isinstance(body, BodyStream):  # a streamed body is spent
                    raise last from exc
                continue
            except ConnectError as exc:
                endpoint.breaker.failure(time.monotonic())
                last = GatewayError(503, BACKEND_UNREACHABLE, f"The backend cannot be reached: {exc}")
                continue
            except UpstreamError as exc:
                endpoint.breaker.failure(time.monotonic())
                raise GatewayError(502, BACKEND_FAILED, f"The backend broke the exchange: {exc}") from exc
            endpoint.breaker.success()
            return response
        assert last is not None
        raise last

    def _add_backend_jwt(self, exchange: Exchange, settings: Mapping[str, Any] | None) -> None:
        signer = self.gateway.backend_jwt
        if settings is None:
            header, ttl, user_claims, algorithm = (
                self.backend_jwt_header,
                self.backend_jwt_ttl,
                self.backend_jwt_user_claims,
                "RS256",
            )
        else:
            header = str(settings.get("header") or self.backend_jwt_header).lower()
            ttl = int(settings.get("tokenTTL") or self.backend_jwt_ttl)
            user_claims = bool(settings.get("enableUserClaims"))
            algorithm = str(settings.get("signingAlgorithm") or "RS256")
        token = signer.token_for(exchange, ttl=ttl, user_claims=user_claims, algorithm=algorithm)
        headers = exchange.request.headers
        headers[:] = [(k, v) for k, v in headers if k != header]
        headers.append((header, token))

    # -- answers ----------------------------------------------------------------------------------

    async def _stream(
        self,
        send: Send,
        upstream: UpstreamResponse,
        headers: list[tuple[bytes, bytes]],
        *,
        status: int | None = None,
    ) -> None:
        out = [(k, v) for k, v in headers if k.lower() not in _RESPONSE_HOP_BY_HOP]
        if upstream.complete:
            body = await upstream.read()
            await send({"type": "http.response.start", "status": status or upstream.status, "headers": out})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": status or upstream.status, "headers": out})
        try:
            async for chunk in upstream.iter_body():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamError:
            # Too late for an error answer: cut the response short so the client sees it broke.
            logger.warning("the backend broke off a response body")
            raise
        await send({"type": "http.response.body", "body": b""})

    async def _answer_error(self, send: Send, error: GatewayError, outcome: _Outcome) -> None:
        outcome.status = error.status
        outcome.code = error.code
        if error.code.startswith("9008") and error.status in (429, 503) and error.code != "900805":
            outcome.throttled = error.code
        body = error_body(error.code, error.message, error.description)
        await _send_whole(send, error.status, [_JSON, *error.headers], body)

    async def _fault(
        self,
        send: Send,
        exchange: Exchange,
        chain: Chain,
        status: int,
        error: tuple[str, str],
        description: str,
        outcome: _Outcome,
    ) -> None:
        code, message = error
        outcome.code = code
        exchange.variables["fault"] = {"code": code, "message": message, "description": description}
        exchange.response = GatewayResponse(
            status, [("content-type", "application/json")], error_body(code, message, description)
        )
        for policy in chain.fault:
            try:
                await policy.on_fault(exchange)
            except Exception:
                logger.exception("fault policy %s failed", type(policy).__name__)
        response = exchange.response
        outcome.status = response.status
        await _send_whole(
            send,
            response.status,
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
            response.body or b"",
        )


class _Outcome:
    """What the request path learnt, for metrics, analytics and the trace."""

    __slots__ = ("api", "auth", "code", "headers_after_auth", "resource", "status", "throttled")

    def __init__(self) -> None:
        self.api: CompiledApi | None = None
        self.auth: AuthContext | None = None
        self.status = 500
        self.code: str | None = None
        self.resource = ""
        self.throttled: str | None = None
        self.headers_after_auth: Headers = []


def _user_denied(deny: DenyRules, subscriber: str) -> bool:
    if subscriber in deny.users:
        return True
    return "@" in subscriber and subscriber.rsplit("@", 1)[0] in deny.users


class BodyTooLarge(RequestBodyError):
    """The request body went past its limit while it was read (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the {limit} bytes this API accepts")


class RequestBody:
    """The client's request body, taken from ASGI ``receive`` once.

    ``read`` gives it whole, for policies that need it. ``for_upstream`` gives the backend call a
    small body whole and a large one, or one of unknown length, as a ``BodyStream`` written to the
    backend while the client sends it (Content-Length passed through, else chunked). A client that
    goes away before the body is whole is a ``RequestBodyError``: never a shorter body sent on.
    More than ``limit`` bytes is ``BodyTooLarge``, whether read whole or streamed: the body stops
    there (``declared_too_large`` refuses a Content-Length above it before anything is read).
    """

    __slots__ = ("_length", "_limit", "_present", "_receive", "_received", "_taken")

    def __init__(self, receive: Receive, headers: Headers, limit: int) -> None:
        self._receive = receive
        self._present = False
        self._length: int | None = None
        self._taken = False
        self._limit = limit
        self._received = 0
        chunked = False
        for name, value in headers:
            if name == "content-length":
                self._present = True
                self._length = int(value) if value.isdigit() else None
            elif name == "transfer-encoding":
                self._present = chunked = True
        if chunked:
            self._length = None

    @property
    def declared_too_large(self) -> bool:
        return self._length is not None and self._length > self._limit

    async def _next(self) -> tuple[bytes, bool]:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            raise RequestBodyError("the client went away before sending the whole request body")
        chunk: bytes = message.get("body", b"")
        self._received += len(chunk)
        if self._received > self._limit:
            raise BodyTooLarge(self._limit)
        return chunk, bool(message.get("more_body"))

    def _take(self) -> None:
        if self._taken:
            raise RuntimeError("the request body has already been taken")
        self._taken = True

    async def read(self) -> bytes:
        self._take()
        chunks = []
        more = self._present
        while more:
            chunk, more = await self._next()
            chunks.append(chunk)
        return b"".join(chunks)

    async def for_upstream(self) -> bytes | BodyStream:
        length = self._length
        if not self._present or (length is not None and length <= _SMALL_BODY):
            return await self.read()
        self._take()
        first, more = await self._next()
        if not more:
            return first
        return BodyStream(self._rest(first), length)

    async def _rest(self, first: bytes) -> AsyncIterator[bytes]:
        yield first
        more = True
        while more:
            chunk, more = await self._next()
            yield chunk


async def _send_whole(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
