"""A GraphQL request as clients send it: POST ``application/json`` (``query``, ``variables``,
``operationName``), POST ``application/graphql`` (the query alone), or GET ``?query=`` (with
``variables`` as JSON and ``operationName``). The backend always gets it as POST JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from apim_gateway.graphql.model import invalid

_PARAMETERS = frozenset(("query", "variables", "operationName"))


@dataclass(frozen=True, slots=True)
class GraphQLPayload:
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None
    body: bytes  # the JSON the backend gets
    backend_query: str  # the query string the backend gets: without the GraphQL parameters


def request_fields(document: Any) -> tuple[str, Mapping[str, Any] | None, str | None]:
    """``query``, ``variables`` and ``operationName`` of a request (or a subscribe message)."""
    if not isinstance(document, Mapping):
        raise invalid("A GraphQL request is a JSON object with a query")
    query, variables, name = document.get("query"), document.get("variables"), document.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise invalid("The request has no query")
    if variables is not None and not isinstance(variables, Mapping):
        raise invalid("variables must be a JSON object")
    if name is not None and not isinstance(name, str):
        raise invalid("operationName must be a string")
    return query, variables, name or None


def read_payload(method: str, content_type: str, body: bytes, query_string: str) -> GraphQLPayload:
    """Raises ``QueryRefused`` (400 900422) for a request that carries no GraphQL query."""
    if method == "GET":
        params = dict(parse_qsl(query_string, keep_blank_values=True))
        raw_variables = params.get("variables")
        try:
            variables = json.loads(raw_variables) if raw_variables else None
        except ValueError:
            raise invalid("variables must be a JSON object") from None
        query, variables, name = request_fields(
            {
                "query": params.get("query"),
                "variables": variables,
                "operationName": params.get("operationName"),
            }
        )
        rest = urlencode([(k, v) for k, v in parse_qsl(query_string) if k not in _PARAMETERS])
        forwarded = {"query": query, "variables": variables, "operationName": name}
        return GraphQLPayload(query, variables, name, json.dumps(forwarded).encode(), rest)
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/graphql":
        try:
            query = body.decode()
        except UnicodeDecodeError:
            raise invalid("The query is not UTF-8") from None
        query, _, _ = request_fields({"query": query})
        return GraphQLPayload(query, None, None, json.dumps({"query": query}).encode(), query_string)
    if media != "application/json":
        raise invalid("A GraphQL POST is application/json or application/graphql")
    try:
        document = json.loads(body)
    except ValueError:
        raise invalid("The request body is not JSON") from None
    query, variables, name = request_fields(document)
    return GraphQLPayload(query, variables, name, body, query_string)
