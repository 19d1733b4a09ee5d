"""GraphQL: the query read, analysed (``graphql/``) and its operations elected, in place of the
URI template match; then, once the caller is known, each operation's scopes and the subscription
tier's depth and complexity bounds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from starlette.types import Message, Receive

from apim_gateway.context import AuthContext, Headers, header
from apim_gateway.errors import PAYLOAD_TOO_LARGE, RECEIVE_FAILED, GatewayError
from apim_gateway.graphql import (
    CLOSE_FORBIDDEN,
    CLOSE_THROTTLED,
    SUBSCRIPTION,
    Analysis,
    GraphQLPayload,
    QueryRefused,
    check_limits,
    invalid,
    read_payload,
    request_fields,
)
from apim_gateway.request.authorize import authorize
from apim_gateway.request.body import BodyTooLarge, open_body
from apim_gateway.request.event_limits import EventLimits
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, GraphQLApi, Operation
from apim_gateway.runtime.tiers import TenantTiers
from apim_gateway.throttling import ThrottleLevel, throttle_error
from apim_gateway.upstream import RequestBodyError


@dataclass(frozen=True, slots=True)
class Elected:
    payload: GraphQLPayload
    analysis: Analysis
    operations: tuple[Operation, ...]
    secured: bool
    # What analytics name the call by: the operations, comma-joined, as WSO2 does.
    resource: str


def refusal(refused: QueryRefused) -> GatewayError:
    return GatewayError(refused.status, (refused.code, refused.message), refused.description)


async def rest_of_body(message: Message, receive: Receive, headers: Headers, limit: int) -> bytes:
    """The request body whose first ASGI message is ``message``, read whole by ``open_body``.
    Raises ``GatewayError`` (413 past ``limit``, 400 when the client goes away)."""
    first = [message]

    async def replay() -> Message:
        return first.pop() if first else await receive()

    try:
        return await open_body(replay, headers, limit).read()
    except BodyTooLarge as exc:
        raise GatewayError(413, PAYLOAD_TOO_LARGE, str(exc)) from None
    except RequestBodyError as exc:
        raise GatewayError(400, RECEIVE_FAILED, str(exc)) from None


async def elect(
    services: Services,
    api: CompiledApi,
    graphql: GraphQLApi,
    method: str,
    headers: Headers,
    query: str,
    receive: Receive,
    body_limit: int,
) -> Elected:
    """Raises ``GatewayError``: 400 900422 for what is no valid query of the API's schema.

    A POST of JSON is looked up by its raw bytes first, with the URL's query string and the
    deployed API (the very ``graphql`` object: its schema and operations), all the election
    depends on: a repeated request without variables is answered from there, with no JSON parse
    (docs/decisions/0023-graphql-query-analysis.md)."""
    body = b""
    content_type = header(headers, "content-type") or ""
    key: tuple[int, str, bytes] | None = None
    analyser = services.graphql
    if method == "POST":
        # A query comes in one ASGI message, taken as it is (no RequestBody for it).
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body"):
            body = message.get("body", b"")
            if len(body) > body_limit:
                raise GatewayError(413, PAYLOAD_TOO_LARGE, str(BodyTooLarge(body_limit)))
        else:
            body = await rest_of_body(message, receive, headers, body_limit)
        if content_type == "application/json" and len(body) <= analyser.max_query_bytes:
            key = (id(graphql), query, body)
            known = analyser.recall(key)
            if known is not None:
                deployed, elected = cast("tuple[GraphQLApi, Elected]", known)
                if deployed is graphql:  # not another object since made at the same address
                    return elected
    try:
        payload = read_payload(method, content_type, body, query)
        analysis = await analyser.analyse(
            (api.id, api.revision_id), graphql.schema, payload.query, payload.operation_name
        )
        if analysis.operation_type == SUBSCRIPTION:
            raise invalid("A subscription is served over WebSocket, not over HTTP")
    except QueryRefused as refused:
        raise refusal(refused) from None
    operations = graphql.elect(analysis.operation_type, analysis.fields)
    secured = any(op.secured for op in operations) if operations else graphql.secured
    elected = Elected(payload, analysis, operations, secured, ",".join(analysis.fields))
    if key is not None and not payload.variables:
        analyser.remember(key, (graphql, elected))
    return elected


def authorize_all(operations: tuple[Operation, ...], auth: AuthContext) -> None:
    """The caller must hold the scopes of every operation the query elects (403 900910)."""
    for op in operations:
        if op.scopes and not (op.scopes & auth.scopes):  # as ``authorize``, which words the refusal
            authorize(op, auth)


def check_query(
    tiers: TenantTiers | None,
    graphql: GraphQLApi,
    analysis: Analysis,
    payload: GraphQLPayload,
    auth: AuthContext,
) -> None:
    """The subscription tier's ``graphQLMaxDepth`` and ``graphQLMaxComplexity`` (400 900820 and
    900821), and the API's introspection switch (403)."""
    tier = tiers.subscription.get(auth.subscription_tier) if tiers and auth.subscription_tier else None
    max_depth = tier.graphql_max_depth if tier else 0
    max_complexity = tier.graphql_max_complexity if tier else 0
    if not (max_depth or max_complexity or analysis.introspection):
        return  # nothing to check, as for most queries on a tier without GraphQL bounds
    try:
        check_limits(
            analysis,
            payload.variables,
            max_depth=max_depth,
            max_complexity=max_complexity,
            introspection=graphql.schema.introspection,
        )
    except QueryRefused as refused:
        raise refusal(refused) from None


def query_limits(
    tiers: TenantTiers | None,
    graphql: GraphQLApi,
    analysis: Analysis,
    variables: Mapping[str, Any] | None,
    auth: AuthContext,
) -> None:
    """Raises ``QueryRefused`` for the first of the caller's bounds the query goes past."""
    tier = tiers.subscription.get(auth.subscription_tier) if tiers and auth.subscription_tier else None
    check_limits(
        analysis,
        variables,
        max_depth=tier.graphql_max_depth if tier else 0,
        max_complexity=tier.graphql_max_complexity if tier else 0,
        introspection=graphql.schema.introspection,
    )


# The messages that start a subscription: graphql-transport-ws's and the legacy graphql-ws's.
_SUBSCRIBE = frozenset(("subscribe", "start"))
LEGACY_PROTOCOL = "graphql-ws"


class SubscriptionGuard:
    """A GraphQL API's WebSocket connection, after its handshake: each message that starts a
    subscription is checked as a query over HTTP is (validity, the operations' scopes and tiers,
    the subscription tier's depth and complexity). A refused one is answered with an ``error``
    message carrying WSO2's code (4022 invalid, 4020 too deep, 4021 too complex, 4002 forbidden,
    4003 throttled) and never reaches the backend; the connection stays open."""

    __slots__ = ("api", "auth", "graphql", "legacy", "services")

    def __init__(
        self,
        services: Services,
        api: CompiledApi,
        graphql: GraphQLApi,
        auth: AuthContext,
        protocol: str | None,
    ) -> None:
        self.services = services
        self.api = api
        self.graphql = graphql
        self.auth = auth
        self.legacy = protocol == LEGACY_PROTOCOL

    async def check(self, data: str | bytes) -> str | None:
        """None to pass the message on; else the error message the client gets instead."""
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if '"subscribe"' not in data and '"start"' not in data:  # most messages: no parse
            return None
        try:
            frame = json.loads(data)
        except ValueError:
            return None
        if not isinstance(frame, dict) or frame.get("type") not in _SUBSCRIBE:
            return None
        operation_id = frame.get("id")
        try:
            await self._check(frame.get("payload"))
        except QueryRefused as refused:
            return self._error(
                operation_id, refused.close_code, (refused.code, refused.message), refused.description
            )
        except GatewayError as error:
            code = CLOSE_THROTTLED if error.status == 429 else CLOSE_FORBIDDEN
            return self._error(operation_id, code, (error.code, error.message), error.description)
        return None

    async def _check(self, payload: Any) -> None:
        query, variables, operation_name = request_fields(payload)
        api, graphql, auth = self.api, self.graphql, self.auth
        analysis = await self.services.graphql.analyse(
            (api.id, api.revision_id), graphql.schema, query, operation_name
        )
        operations = graphql.elect(analysis.operation_type, analysis.fields)
        authorize_all(operations, auth)
        tiers = self.services.state.tiers.get(api.tenant)
        query_limits(tiers, graphql, analysis, variables, auth)
        if tiers is None:
            return
        levels = []
        for op in operations:
            tier = tiers.advanced.get(op.throttling_policy) if op.throttling_policy else None
            if tier is not None and tier.limit is not None and not tier.limit.bandwidth:
                levels.append((op.resource_key, tier.limit, ThrottleLevel.RESOURCE))
        if levels:
            refused = await EventLimits(self.services.rate_limits.limiter, levels, []).admit()
            if refused is not None:
                error = throttle_error(refused)
                raise GatewayError(error.status, (error.code, error.message), error.description)

    def _error(self, operation_id: Any, close_code: int, error: tuple[str, str], description: str) -> str:
        detail = {
            "message": description,
            "extensions": {"code": close_code, "errorCode": error[0], "errorMessage": error[1]},
        }
        return json.dumps(
            {"id": operation_id, "type": "error", "payload": detail if self.legacy else [detail]}
        )
