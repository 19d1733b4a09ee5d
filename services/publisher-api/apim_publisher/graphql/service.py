"""GraphQL APIs: a schema imported or replaced (its root fields become the operations), and the
complexity values the gateway's cost analysis reads per type and field."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, ErrorListItem
from apim_common.security import Principal
from apim_publisher.apis import aggregate
from apim_publisher.apis import service as apis
from apim_publisher.apis.models import API
from apim_publisher.apis.schemas import APIBody, Operation
from apim_publisher.definitions.sources import additional_properties, default_context
from apim_publisher.graphql import document
from apim_publisher.graphql.document import RootField, SchemaError
from apim_publisher.graphql.schemas import GraphQLCustomComplexityInfo, GraphQLQueryComplexityInfo

INVALID = "Invalid GraphQL schema"
# WSO2's code for a definition that does not validate.
INVALID_CODE = "900754"
VALIDATION_SECONDS = 10.0
# An operation a schema brings in is secured (any of the API's schemes) and unthrottled until set.
IMPORTED_AUTH_TYPE = "Any"
_VALIDATORS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="graphql-validation")


@dataclass(frozen=True, slots=True)
class Schema:
    """A valid schema: its text as given, its root fields and its types with their fields."""

    text: str
    root_fields: list[RootField]
    types: dict[str, list[str]]


def _read(raw: bytes | str) -> Schema:
    text = document.text_of(raw)
    schema = document.load(text)
    return Schema(text, document.root_fields(schema), document.types(schema))


def invalid(errors: list[str], message: str = INVALID) -> BadRequest:
    return BadRequest(
        "; ".join(errors),
        message=message,
        errors=[ErrorListItem(code=INVALID_CODE, message=message, description=e) for e in errors],
    )


async def check(raw: bytes | str) -> tuple[Schema | None, list[str]]:
    """The schema and its problems, worked out on a worker thread within ``VALIDATION_SECONDS``
    (a large schema is CPU work the shared event loop should not wait on)."""
    work = asyncio.get_running_loop().run_in_executor(_VALIDATORS, _read, raw)
    try:
        return await asyncio.wait_for(work, VALIDATION_SECONDS), []
    except SchemaError as exc:
        return None, exc.errors
    except TimeoutError:
        return None, [f"The schema could not be validated within {VALIDATION_SECONDS:g} seconds"]


async def load_valid(raw: bytes | str) -> Schema:
    """The schema, or 400 naming every problem with its line and column."""
    schema, errors = await check(raw)
    if schema is None:
        raise invalid(errors)
    return schema


def operations(schema: Schema, existing: list[Operation]) -> list[Operation]:
    """One operation per root field; one that was there keeps its auth type, tier and scopes."""
    kept = {(op.verb, op.target): op for op in existing}
    return [
        kept.get((field.verb, field.name))
        or Operation(target=field.name, verb=field.verb, authType=IMPORTED_AUTH_TYPE)
        for field in schema.root_fields
    ]


def _body(fields: dict[str, Any]) -> APIBody:
    try:
        return APIBody.model_validate(fields)
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise invalid(errors, "Invalid API properties") from exc


def _given_operations(fields: dict[str, Any]) -> list[Operation]:
    """Operations sent with an import: settings for root fields (WSO2's portal sends back those
    validate-graphql-schema listed)."""
    raw = fields.get("operations") or []
    if not isinstance(raw, list):
        raise BadRequest("additionalProperties.operations must be a list")
    try:
        return [Operation.model_validate(op) for op in raw]
    except ValidationError as exc:
        errors = [f"operations.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise invalid(errors, "Invalid API properties") from exc


async def import_api(
    session: AsyncSession, principal: Principal, schema: Schema, raw_properties: str | None
) -> API:
    """A GRAPHQL API from a valid schema: its fields from ``additionalProperties``, one operation
    per root field (settings sent for a root field kept; one naming no root field refused)."""
    fields = additional_properties(raw_properties)
    given_type = fields.get("type")
    if given_type not in (None, "GRAPHQL"):
        raise BadRequest(f"type: a GraphQL schema makes a GRAPHQL API, not a {given_type} API")
    given = _given_operations(fields)
    unknown = document.operation_problems(schema.text, [(op.verb, op.target) for op in given])
    if unknown:
        raise BadRequest("; ".join(unknown), message="Invalid GraphQL operations")
    fields["type"] = "GRAPHQL"
    fields.setdefault("context", default_context(str(fields.get("name") or "")))
    fields["operations"] = [op.model_dump(mode="json", exclude_none=True) for op in operations(schema, given)]
    return await apis.create(session, principal, _body(fields), graphql_schema=schema.text)


def require_graphql(api: API) -> None:
    if api.type != "GRAPHQL":
        raise BadRequest(
            f"API '{api.name}' is a {api.type} API; a GraphQL schema and complexity values belong to "
            "GRAPHQL APIs",
            message="Not a GraphQL API",
        )


def schema_text(api: API) -> str:
    require_graphql(api)
    text = api.spec.get("graphQLSchema")
    if not isinstance(text, str):
        raise BadRequest(f"API '{api.name}' has no GraphQL schema yet", message="GraphQL schema not found")
    return text


async def set_schema(session: AsyncSession, principal: Principal, api: API, schema: Schema) -> API:
    """A new schema: the operations follow its root fields, keeping the settings of those that stay;
    complexity values of types or fields it no longer has are dropped."""
    require_graphql(api)
    existing = [Operation.model_validate(o) for o in api.spec.get("operations", [])]
    fresh = [op.model_dump(mode="json", exclude_none=True) for op in operations(schema, existing)]
    spec = {**api.spec, "operations": fresh, "graphQLSchema": schema.text}
    values = complexity(api).list
    kept = [v for v in values if v.field in schema.types.get(v.type, [])]
    if kept != values:
        spec["graphQLComplexity"] = GraphQLQueryComplexityInfo(list=kept).model_dump(mode="json")
    api.spec = spec
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


def complexity(api: API) -> GraphQLQueryComplexityInfo:
    require_graphql(api)
    return GraphQLQueryComplexityInfo.model_validate(api.spec.get("graphQLComplexity") or {})


async def set_complexity(
    session: AsyncSession, principal: Principal, api: API, wanted: GraphQLQueryComplexityInfo
) -> API:
    """The values, each naming a type of the schema and one of its fields (400 naming any other)."""
    schema = await load_valid(schema_text(api))
    problems = [_unknown(item, schema.types) for item in wanted.list]
    named = [p for p in problems if p]
    if named:
        raise BadRequest("; ".join(named), message="Invalid complexity values")
    seen: dict[tuple[str, str], GraphQLCustomComplexityInfo] = {}
    for item in wanted.list:
        if (item.type, item.field) in seen:
            raise BadRequest(f"{item.type}.{item.field} is given more than one complexity value")
        seen[(item.type, item.field)] = item
    api.spec = {**api.spec, "graphQLComplexity": wanted.model_dump(mode="json")}
    aggregate.touch(api, principal)
    await aggregate.announce(session, api, "api.updated")
    return api


def _unknown(item: GraphQLCustomComplexityInfo, types: dict[str, list[str]]) -> str | None:
    if item.type not in types:
        return f"type {item.type!r} is not an object or interface type of the schema"
    if item.field not in types[item.type]:
        return f"field {item.field!r} is not a field of the type {item.type!r}"
    return None


async def types(api: API) -> dict[str, list[str]]:
    return (await load_valid(schema_text(api))).types
