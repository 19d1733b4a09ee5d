"""The election of a repeated GraphQL POST kept by its raw bytes (``request/graphql.py``): served
again only for the same bytes, URL query string and deployed API, and never with variables; and
the switch interval lowered while a query is analysed on the worker thread."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

import pytest

from apim_gateway.errors import GatewayError
from apim_gateway.graphql import QueryAnalyser, compile_schema
from apim_gateway.graphql.prepare import prepare
from apim_gateway.graphql.queries import SWITCH_INTERVAL
from apim_gateway.request.graphql import Elected, elect
from apim_gateway.request.services import Services
from apim_gateway.runtime.apis import CompiledApi, GraphQLApi
from tests.support.graphql_backend import SCHEMA

pytestmark = pytest.mark.asyncio

QUERY = b'{"query": "{ film(id: 1) { id title } }"}'
WITH_VARIABLES = b'{"query": "query F($n: ID!) { film(id: $n) { id } }", "variables": {"n": 1}}'
COMPILED = compile_schema({"graphQLSchema": SCHEMA})


@pytest.fixture
def analyser() -> Iterator[QueryAnalyser]:
    analyser = QueryAnalyser(max_entries=100, max_tokens=2000, max_query_bytes=65536)
    yield analyser
    analyser.close()


def deployed(secured: bool = True) -> GraphQLApi:
    return GraphQLApi(schema=COMPILED, operations={}, secured=secured)


async def post(analyser: QueryAnalyser, graphql: GraphQLApi, body: bytes, query: str = "") -> Elected:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    services = cast(Services, SimpleNamespace(graphql=analyser))
    api = cast(CompiledApi, SimpleNamespace(id="films", revision_id="r1"))
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    return await elect(services, api, graphql, "POST", headers, query, receive, 1 << 20)


async def test_the_same_bytes_are_served_the_kept_election(analyser: QueryAnalyser) -> None:
    graphql = deployed()
    first = await post(analyser, graphql, QUERY)
    assert await post(analyser, graphql, QUERY) is first
    assert first.resource == "film"


async def test_a_request_with_variables_is_elected_each_time(analyser: QueryAnalyser) -> None:
    graphql = deployed()
    first = await post(analyser, graphql, WITH_VARIABLES)
    again = await post(analyser, graphql, WITH_VARIABLES)
    assert again is not first
    assert again.payload.variables == {"n": 1}


async def test_another_url_query_string_is_another_request(analyser: QueryAnalyser) -> None:
    graphql = deployed()
    first = await post(analyser, graphql, QUERY, "trace=1")
    other = await post(analyser, graphql, QUERY, "trace=2")
    assert other is not first
    assert other.payload.backend_query == "trace=2"


async def test_a_redeployed_api_elects_the_request_again(analyser: QueryAnalyser) -> None:
    first = await post(analyser, deployed(secured=True), QUERY)
    redeployed = await post(analyser, deployed(secured=False), QUERY)
    assert first.secured is True
    assert redeployed.secured is False


async def sent_in(analyser: QueryAnalyser, messages: list[dict[str, Any]], limit: int = 1 << 20) -> Elected:
    """``elect`` on a POST whose body comes in these ASGI messages."""
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    services = cast(Services, SimpleNamespace(graphql=analyser))
    api = cast(CompiledApi, SimpleNamespace(id="films", revision_id="r1"))
    headers = [("content-type", "application/json"), ("transfer-encoding", "chunked")]
    return await elect(services, api, deployed(), "POST", headers, "", receive, limit)


async def test_a_body_in_several_messages_is_read_whole(analyser: QueryAnalyser) -> None:
    messages = [
        {"type": "http.request", "body": QUERY[:10], "more_body": True},
        {"type": "http.request", "body": QUERY[10:], "more_body": False},
    ]
    elected = await sent_in(analyser, messages)
    assert elected.payload.body == QUERY
    assert elected.resource == "film"


@pytest.mark.parametrize("split", [False, True])
async def test_a_body_past_the_limit_is_413(analyser: QueryAnalyser, split: bool) -> None:
    parts = [QUERY[:10], QUERY[10:]] if split else [QUERY]
    messages = [
        {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
        for n, part in enumerate(parts)
    ]
    with pytest.raises(GatewayError) as refused:
        await sent_in(analyser, messages, limit=len(QUERY) - 1)
    assert (refused.value.status, refused.value.code) == (413, "413")


async def test_a_client_gone_before_its_body_is_400(analyser: QueryAnalyser) -> None:
    messages = [{"type": "http.request", "body": QUERY[:10], "more_body": True}, {"type": "http.disconnect"}]
    with pytest.raises(GatewayError) as refused:
        await sent_in(analyser, messages)
    assert (refused.value.status, refused.value.code) == (400, "101001")


async def test_the_switch_interval_is_lowered_only_while_a_query_is_analysed(analyser: QueryAnalyser) -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []

    def watching(*arguments: Any) -> Any:
        seen.append(sys.getswitchinterval())
        return prepare(*arguments)

    with patch("apim_gateway.graphql.prepare.prepare", watching):
        await analyser.analyse("films", COMPILED, "{ film(id: 2) { id } }", None)
    assert seen == [min(before, SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before
