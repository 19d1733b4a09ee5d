"""A GraphQL API's schema as the gateway serves it: built once per deployed revision from the
artifact's ``graphQLSchema`` (SDL), with its per-field complexity values and introspection switch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql import GraphQLSchema

# The root types' operation kinds, as WSO2 writes an operation's ``verb``.
QUERY = "QUERY"
MUTATION = "MUTATION"
SUBSCRIPTION = "SUBSCRIPTION"
VERBS = (QUERY, MUTATION, SUBSCRIPTION)


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    schema: GraphQLSchema
    # ``graphQLComplexity``: (type, field) -> its own cost; a field absent here costs 1.
    complexity: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # ``graphQLIntrospection``: False refuses queries that read ``__schema`` or ``__type``.
    introspection: bool = True


def _complexity(raw: Any) -> dict[tuple[str, str], int]:
    """``{"list": [{"type", "field", "complexityValue"}]}`` as a lookup table."""
    entries = raw.get("list") if isinstance(raw, Mapping) else raw
    table: dict[tuple[str, str], int] = {}
    for entry in entries or ():
        value = entry.get("complexityValue")
        if type(value) is not int or value < 0:
            raise ValueError(f"a complexityValue must be a non-negative integer, not {value!r}")
        table[(str(entry.get("type")), str(entry.get("field")))] = value
    return table


def compile_schema(artifact: Mapping[str, Any]) -> CompiledSchema:
    """Raises ``ValueError`` when the SDL cannot be built into a schema."""
    # graphql-core is loaded with the first GraphQL API, not with the gateway.
    from graphql import GraphQLError, build_schema

    sdl = artifact.get("graphQLSchema")
    if not isinstance(sdl, str) or not sdl.strip():
        raise ValueError("a GRAPHQL API needs its graphQLSchema (SDL)")
    try:
        schema = build_schema(sdl)
    except (GraphQLError, TypeError) as exc:
        raise ValueError(f"the graphQLSchema is not a valid schema: {exc}") from None
    return CompiledSchema(
        schema=schema,
        complexity=_complexity(artifact.get("graphQLComplexity")),
        introspection=artifact.get("graphQLIntrospection", True) is not False,
    )
