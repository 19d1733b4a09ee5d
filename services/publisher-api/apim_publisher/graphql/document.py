"""A GraphQL schema (SDL) read with graphql-core: its problems with their line and column, the
root fields that become an API's operations, and the types and fields complexity values name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_ast_schema,
    parse,
    validate_schema,
)
from graphql.validation.validate import validate_sdl

# The operation types of a schema, in WSO2's verbs.
VERBS = ("QUERY", "MUTATION", "SUBSCRIPTION")
# A schema of 5 MiB holds far fewer tokens; a bound keeps a crafted one from costing the parser more.
MAX_TOKENS = 500_000


class SchemaError(ValueError):
    """The SDL does not make a valid schema; ``errors`` name each problem with where it is."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RootField:
    verb: str
    name: str


def _described(error: GraphQLError) -> str:
    message = error.message
    if error.locations:
        where = ", ".join(f"line {loc.line}, column {loc.column}" for loc in error.locations)
        return f"{where}: {message}"
    return message


def text_of(raw: bytes | str) -> str:
    """The schema's text as uploaded, decoded (a UTF-8 byte order mark dropped)."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchemaError(["The schema is not UTF-8 text"]) from exc


def load(raw: bytes | str) -> GraphQLSchema:
    """The schema ``raw`` defines, or ``SchemaError`` naming every problem found."""
    text = text_of(raw)
    if not text.strip():
        raise SchemaError(["The schema is empty"])
    try:
        document = parse(text, no_location=False, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        raise SchemaError([_described(exc)]) from exc
    errors = validate_sdl(document)
    if errors:
        raise SchemaError([_described(e) for e in errors])
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except TypeError as exc:  # what validate_sdl lets through, graphql-core refuses as it builds
        raise SchemaError([str(exc)]) from exc
    problems = validate_schema(schema)
    if problems:
        raise SchemaError([_described(e) for e in problems])
    return schema


def root_fields(schema: GraphQLSchema) -> list[RootField]:
    """One per field of the Query, Mutation and Subscription types, in the schema's order."""
    found: list[RootField] = []
    for verb, root in zip(
        VERBS, (schema.query_type, schema.mutation_type, schema.subscription_type), strict=True
    ):
        if root is not None:
            found.extend(RootField(verb, name) for name in root.fields)
    return found


def types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """The object and interface types a query selects fields of, with their fields (introspection's
    own ``__`` types left out): what complexity values may name."""
    return {
        name: list(kind.fields)
        for name, kind in schema.type_map.items()
        if not name.startswith("__") and isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
    }


@lru_cache(maxsize=64)
def cached_root_fields(text: str) -> tuple[RootField, ...]:
    """The root fields of a schema already accepted once, parsed once per process."""
    return tuple(root_fields(load(text)))


def operation_problems(text: str | None, operations: Iterable[tuple[str, str]]) -> list[str]:
    """Why the (verb, target) pairs are not operations of the schema ``text``: each must be a root
    field of the Query, Mutation or Subscription type."""
    wanted = list(operations)
    if text is None:
        return [
            f"operation {verb} {target}: the API has no GraphQL schema yet; import one "
            "(import-graphql-schema or PUT graphql-schema) and its root fields become the operations"
            for verb, target in wanted
        ]
    fields = {(f.verb, f.name) for f in cached_root_fields(text)}
    return [
        f"operation {verb} {target}: the schema has no {verb.lower()} root field named {target!r}"
        for verb, target in wanted
        if (verb, target) not in fields
    ]
