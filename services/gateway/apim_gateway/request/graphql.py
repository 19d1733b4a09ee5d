"""GraphQL: the query read, analysed (``graphql/``) and its operations elected, in place of the
URI template match; then, once the caller is known, each operation's scopes and the subscription
tier's depth and complexity bounds."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Receive

from apim_gateway.context import AuthContext, Headers, header
from apim_gateway.errors import PAYLOAD_TOO_LARGE, RECEIVE_FAILED, GatewayError
from apim_gateway.graphql import (
    SUBSCRIPTION,
    Analysis,
    GraphQLPayload,
    QueryRefused,
    check_limits,
    invalid,
    read_payload,
)
from apim_gateway.request.authorize import authorize
from apim_gateway.request.body import BodyTooLarge, open_body
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, GraphQLApi, Operation
from apim_gateway.runtime.tiers import TenantTiers
from apim_gateway.upstream import RequestBodyError


@dataclass(frozen=True, slots=True)
class Elected:
    payload: GraphQLPayload
    analysis: Analysis
    operations: tuple[Operation, ...]
    secured: bool

    @property
    def resource(self) -> str:
        """What analytics name the call by: the operations, comma-joined, as WSO2 does."""
        return ",".join(self.analysis.fields)


def refusal(refused: QueryRefused) -> GatewayError:
    return GatewayError(refused.status, (refused.code, refused.message), refused.description)


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
    """Raises ``GatewayError``: 400 900422 for what is no valid query of the API's schema."""
    body = b""
    if method == "POST":
        try:
            body = await open_body(receive, headers, body_limit).read()
        except BodyTooLarge as exc:
            raise GatewayError(413, PAYLOAD_TOO_LARGE, str(exc)) from None
        except RequestBodyError as exc:
            raise GatewayError(400, RECEIVE_FAILED, str(exc)) from None
    try:
        payload = read_payload(method, header(headers, "content-type") or "", body, query)
        analysis = await services.graphql.analyse(
            (api.id, api.revision_id), graphql.schema, payload.query, payload.operation_name
        )
        if analysis.operation_type == SUBSCRIPTION:
            raise invalid("A subscription is served over WebSocket, not over HTTP")
    except QueryRefused as refused:
        raise refusal(refused) from None
    operations = graphql.elect(analysis.operation_type, analysis.fields)
    secured = any(op.secured for op in operations) if operations else graphql.secured
    return Elected(payload, analysis, operations, secured)


def authorize_all(operations: tuple[Operation, ...], auth: AuthContext) -> None:
    """The caller must hold the scopes of every operation the query elects (403 900910)."""
    for op in operations:
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
    try:
        check_limits(
            analysis,
            payload.variables,
            max_depth=tier.graphql_max_depth if tier else 0,
            max_complexity=tier.graphql_max_complexity if tier else 0,
            introspection=graphql.schema.introspection,
        )
    except QueryRefused as refused:
        raise refusal(refused) from None
