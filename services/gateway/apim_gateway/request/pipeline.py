"""The request path: one ASGI callable calling the steps, each a module of this package, in order.

Everything a step reads was compiled when the revision was deployed; the shared services come in
one ``Services`` object given at construction. A refusal before the policies is answered as it
is; one from a policy or the backend runs the fault flow on the error answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from opentelemetry import trace
from starlette.types import Receive, Scope, Send

from apim_gateway.context import AuthContext, Exchange, GatewayRequest, Headers
from apim_gateway.errors import PAYLOAD_TOO_LARGE, RECEIVE_FAILED, GatewayError
from apim_gateway.policies import Chain, PolicyRefusal
from apim_gateway.request.authenticate import authenticate, authenticate_application
from apim_gateway.request.authorize import authorize
from apim_gateway.request.backend import call_backend
from apim_gateway.request.body import BodyTooLarge, open_body
from apim_gateway.request.cache import cached_backend
from apim_gateway.request.deny import deny_api, deny_caller
from apim_gateway.request.graphql import Elected, authorize_all, check_query, elect
from apim_gateway.request.lifecycle import check_lifecycle
from apim_gateway.request.observe import observe, start_trace
from apim_gateway.request.outcome import Outcome
from apim_gateway.request.policies import request_flow
from apim_gateway.request.ratelimits import rate_limit
from apim_gateway.request.respond import answer_error, fault, response_flow, send_response, stream
from apim_gateway.request.route import route
from apim_gateway.request.services import Services
from apim_gateway.request.sse import EventStream
from apim_gateway.request.subscription import check_subscription
from apim_gateway.request.validate import validate_request, validate_response
from apim_gateway.runtime.apis import CompiledApi, Operation
from apim_gateway.runtime.state import DenyRules
from apim_gateway.soaptorest import from_soap, to_soap
from apim_gateway.upstream import RequestBodyError, UpstreamResponse


class Pipeline:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.max_request_body = services.settings.gateway_max_request_body_size
        # Set in the lifespan when spans are exported; None makes no span at all.
        self.tracer: trace.Tracer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        services = self.services
        state = services.state
        method: str = scope["method"]
        headers: Headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        client = scope.get("client")
        client_ip = client[0] if client else ""
        span: trace.Span | None = None
        trace_headers: list[tuple[bytes, bytes]] = []
        if self.tracer is not None:
            span, headers, trace_headers = start_trace(self.tracer, scope, method, headers)
        outcome = Outcome()
        outcome.request_headers = scope["headers"]
        try:
            try:
                api, op, path_params, backend_path = route(state, scope, method, headers, outcome)
                deny = state.deny.get(api.tenant)
                if deny is not None:
                    deny_api(deny, api, client_ip)
                auth = outcome.auth = AuthContext(tenant=api.tenant)
                query: str = scope["query_string"].decode("latin-1")
                if op.plain:  # a plain REST call, as decided at deploy time (``plan_operations``)
                    if op.secured:
                        verified = await authenticate_application(
                            services, api, headers, query, auth, outcome, client_ip, scope
                        )
                        headers = outcome.headers_after_auth
                        if op.scopes:
                            authorize(op, auth)
                        if verified is not None:  # a Basic call needs no subscription, as in WSO2
                            check_subscription(state, api, verified, auth, client_ip)
                        if deny is not None:
                            deny_caller(deny, auth)
                    meter = await rate_limit(services, api, op, auth, headers, query, client_ip)
                    if meter is not None:  # a bandwidth limit: body bytes count as they pass
                        receive, send = meter.receive(receive), meter.send(send)
                    body = open_body(receive, headers, op.chain.max_request_body or self.max_request_body)
                else:
                    return await self._general(
                        scope, receive, send, api, op, path_params, backend_path, headers, query, client_ip,
                        outcome, deny, trace_headers,
                    )  # fmt: skip
            except GatewayError as error:
                await answer_error(send, error, outcome)
                return
            request = GatewayRequest(method, backend_path, query, headers, client_ip)
            exchange = self._exchange(api, request, op.target, path_params, auth, body.read)
            chain = op.chain
            upstream: UpstreamResponse | None = None
            try:
                if chain.request:
                    await request_flow(chain, exchange)
                if exchange.response is None:
                    outcome.backend_start = time.perf_counter()
                    upstream = await call_backend(services, api, op, exchange, body, trace_headers)
                    outcome.backend_end = time.perf_counter()
                    outcome.target_status = upstream.status
                    if not chain.response:
                        outcome.status = upstream.status
                        await stream(send, upstream, upstream.headers, outcome)
                        return
                await response_flow(chain, exchange, upstream)
            except (RequestBodyError, PolicyRefusal, GatewayError) as exc:
                await _failed(send, exchange, chain, exc, upstream, outcome)
                return
            await send_response(send, exchange, upstream, outcome)
        finally:
            observe(
                services, outcome, outcome.recorded or method, client_ip, time.perf_counter() - start, span
            )

    async def _general(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        api: CompiledApi,
        op: Operation,
        path_params: dict[str, str],
        backend_path: str,
        headers: Headers,
        query: str,
        client_ip: str,
        outcome: Outcome,
        deny: DenyRules | None,
        trace_headers: list[tuple[bytes, bytes]],
    ) -> None:
        """Every other operation: GraphQL, SSE, mocks, validation, SOAPTOREST, the response cache,
        client certificates, a blocked API."""
        services = self.services
        state = services.state
        method: str = scope["method"]
        auth = outcome.auth
        assert auth is not None
        try:
            if api.blocked:
                check_lifecycle(api)
            graphql = api.graphql
            elected: Elected | None = None
            secured = op.secured
            if graphql is not None and method != "OPTIONS":  # its operations stand for a template
                limit = op.chain.max_request_body or self.max_request_body
                elected = await elect(services, api, graphql, method, headers, query, receive, limit)
                outcome.resource = elected.resource
                # What analytics and metrics call the method: a GraphQL query's operation type.
                outcome.recorded = elected.analysis.operation_type
                secured = elected.secured
            if secured:
                verified = await authenticate(services, api, headers, query, auth, outcome, client_ip, scope)
                headers = outcome.headers_after_auth
                if elected is None:
                    if op.scopes:
                        authorize(op, auth)
                else:
                    authorize_all(elected.operations, auth)
                if verified is not None:  # a Basic call needs no subscription, as in WSO2
                    check_subscription(state, api, verified, auth, client_ip)
                if deny is not None:
                    deny_caller(deny, auth)
            limited: Operation = op
            also: tuple[Operation, ...] = ()
            if elected is not None:
                assert graphql is not None
                check_query(state.tiers.get(api.tenant), graphql, elected.analysis, elected.payload, auth)
                if elected.operations:
                    limited, also = elected.operations[0], elected.operations[1:]
            events: EventStream | None = None
            if api.sse is not None:  # its events are counted, not the call (request/sse.py)
                events = EventStream(services, receive, api, op, auth, client_ip, scope["headers"])
                await events.open()
            else:
                meter = await rate_limit(services, api, limited, auth, headers, query, client_ip, also)
                if meter is not None:  # a bandwidth limit: body bytes count as they pass
                    receive, send = meter.receive(receive), meter.send(send)
            body = open_body(receive, headers, op.chain.max_request_body or self.max_request_body)
            # enableSchemaValidation, before the policies as in WSO2; a JSON body comes back read.
            validated = (
                None
                if op.validation is None
                else await validate_request(
                    op.validation, path_params, query, headers, body, self.max_request_body
                )
            )
        except GatewayError as error:
            await answer_error(send, error, outcome)
            return

        request = GatewayRequest(method, backend_path, query, headers, client_ip, validated)
        if elected is not None:  # the backend gets the query as POST JSON, whatever came
            request = GatewayRequest(
                "POST",
                backend_path,
                elected.payload.backend_query,
                [*(h for h in headers if h[0] != "content-type"), ("content-type", "application/json")],
                client_ip,
                elected.payload.body,
            )
        resource = op.target if elected is None else elected.resource
        exchange = self._exchange(api, request, resource, path_params, auth, body.read)
        chain = op.chain
        upstream: UpstreamResponse | None = None
        try:
            if chain.request:
                await request_flow(chain, exchange)
            if exchange.response is None and op.mock is not None:
                exchange.response = op.mock.answer(exchange.request.headers)
            elif exchange.response is None:
                if op.soap is not None:  # SOAPTOREST: the JSON body becomes the envelope
                    await to_soap(op.soap, exchange)
                outcome.backend_start = time.perf_counter()
                if api.cache_timeout is None:
                    upstream = await call_backend(services, api, op, exchange, body, trace_headers)
                else:  # responseCachingEnabled: answered from the cache when it can be
                    upstream = await cached_backend(services, api, op, exchange, body, trace_headers, outcome)
                outcome.backend_end = time.perf_counter()
                outcome.target_status = upstream.status
                if op.validation is not None and op.validation.responses:
                    limit = self.max_request_body
                    exchange.response = await validate_response(op.validation, upstream, limit)
                    if exchange.response is not None:  # read whole and valid: answered from there
                        upstream = None
                if op.soap is not None and upstream is not None:  # the SOAP answer as JSON
                    exchange.response = await from_soap(upstream, self.max_request_body)
                    upstream = None
                if upstream is not None and not chain.response:
                    outcome.status = upstream.status
                    await stream(send, upstream, upstream.headers, outcome, events=events)
                    return
            await response_flow(chain, exchange, upstream)
        except (RequestBodyError, PolicyRefusal, GatewayError) as exc:
            await _failed(send, exchange, chain, exc, upstream, outcome)
            return
        await send_response(send, exchange, upstream, outcome, events)

    def _exchange(
        self,
        api: CompiledApi,
        request: GatewayRequest,
        resource: str,
        path_params: dict[str, str],
        auth: AuthContext,
        read_body: Callable[[], Awaitable[bytes]],
    ) -> Exchange:
        """The exchange the policies and the backend call share, for both branches."""
        return Exchange(
            request,
            api.tenant,
            api.id,
            api.context,
            api.version,
            resource,
            path_params,
            auth,
            None,
            # The API's own credential headers, which log policies must mask whatever their name.
            {"api_name": api.name, "credential_headers": api.credential_headers},
            read_body,
            self.services,
        )  # positional: the dataclass's generated constructor binds them fastest


async def _failed(
    send: Send,
    exchange: Exchange,
    chain: Chain,
    exc: RequestBodyError | PolicyRefusal | GatewayError,
    upstream: UpstreamResponse | None,
    outcome: Outcome,
) -> None:
    """A refusal once the exchange exists: the fault flow on its error answer (an error carrying
    headers of its own, e.g. a throttling ``Retry-After``, is answered as it is)."""
    if isinstance(exc, BodyTooLarge):
        await fault(send, exchange, chain, 413, PAYLOAD_TOO_LARGE, str(exc), outcome)
    elif isinstance(exc, RequestBodyError):
        await fault(send, exchange, chain, 400, RECEIVE_FAILED, str(exc), outcome)
    else:
        if upstream is not None:
            upstream.close()
        if isinstance(exc, PolicyRefusal):
            refused = (exc.code, exc.message)
            await fault(send, exchange, chain, exc.status, refused, exc.description, outcome)
        elif exc.headers:
            await answer_error(send, exc, outcome)
        else:
            failed = (exc.code, exc.message)
            await fault(send, exchange, chain, exc.status, failed, exc.description, outcome)
