"""GraphQL APIs: the schema compiled per deployed revision (``schema.py``), each query parsed,
validated and measured as WSO2 measures it (``prepare.py``, ``analysis.py``), once, then served
from a bounded cache (``queries.py``). The request path elects the operations from the analysis
(``model.py``); the subscription tier's ``graphQLMaxDepth`` and ``graphQLMaxComplexity`` bound it
(``limits.py``). What is exported here loads no graphql-core: the modules that parse load it with
the first GraphQL API or query."""

from apim_gateway.graphql.limits import check_limits
from apim_gateway.graphql.model import (
    CLOSE_FORBIDDEN,
    CLOSE_INVALID,
    CLOSE_THROTTLED,
    Analysis,
    QueryRefused,
    invalid,
)
from apim_gateway.graphql.payload import GraphQLPayload, read_payload, request_fields
from apim_gateway.graphql.queries import QueryAnalyser
from apim_gateway.graphql.schema import MUTATION, QUERY, SUBSCRIPTION, VERBS, CompiledSchema, compile_schema

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_INVALID",
    "CLOSE_THROTTLED",
    "MUTATION",
    "QUERY",
    "SUBSCRIPTION",
    "VERBS",
    "Analysis",
    "CompiledSchema",
    "GraphQLPayload",
    "QueryAnalyser",
    "QueryRefused",
    "check_limits",
    "compile_schema",
    "invalid",
    "read_payload",
    "request_fields",
]
