"""A GraphQL API's schema read with graphql-core: the object and interface types a query selects
fields of, with their fields, as the developer portal lists them for complexity values."""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, GraphQLInterfaceType, GraphQLObjectType, build_ast_schema, parse

# The publisher accepted the schema within this bound; a schema beyond it was not written by it.
MAX_TOKENS = 500_000


class UnreadableSchema(ValueError):
    """The stored text does not build a schema."""


@lru_cache(maxsize=64)
def types(sdl: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(type name, field names) in the schema's order, introspection's own ``__`` types left out."""
    try:
        schema = build_ast_schema(parse(sdl, max_tokens=MAX_TOKENS))
    except (GraphQLError, TypeError) as exc:
        raise UnreadableSchema(str(exc)) from exc
    return tuple(
        (name, tuple(kind.fields))
        for name, kind in schema.type_map.items()
        if not name.startswith("__") and isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
    )
