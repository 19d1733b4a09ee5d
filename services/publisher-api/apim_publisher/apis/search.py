"""WSO2's search syntax: ``name:pizza version:"1.0.0" status:PUBLISHED`` or a bare term matching names."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

from apim_common.errors import BadRequest
from apim_publisher.apis.models import API

SORT_KEYS: dict[str, Callable[[API], object]] = {
    "apiName": lambda a: a.name.lower(),
    "name": lambda a: a.name.lower(),
    "version": lambda a: a.version,
    "createdTime": lambda a: a.created_at,
    "status": lambda a: a.lifecycle_status,
    "context": lambda a: a.context,
    "provider": lambda a: a.provider,
}


def _text_field(api: API, attribute: str) -> list[str]:
    spec = api.spec
    match attribute:
        case "name":
            return [api.name]
        case "version":
            return [api.version]
        case "context":
            return [api.context]
        case "status" | "lcstate":
            return [api.lifecycle_status]
        case "provider":
            return [api.provider]
        case "type":
            return [api.type]
        case "description":
            return [str(spec.get("description") or "")]
        case "tags" | "tag":
            return [str(t) for t in spec.get("tags") or []]
        case "api-category" | "category":
            return [str(c) for c in spec.get("categories") or []]
    raise BadRequest(f"Unsupported search attribute {attribute!r}", message="Invalid search query")


def _matches(values: list[str], wanted: str, exact: bool) -> bool:
    wanted = wanted.lower()
    if exact:
        return any(v.lower() == wanted for v in values)
    return any(wanted in v.lower() for v in values)


def parse_query(query: str | None) -> list[tuple[str, str, bool]]:
    """``(attribute, value, exact)`` conditions; all of them must hold."""
    if not query or not query.strip():
        return []
    try:
        lexer = shlex.shlex(query, posix=False)
        lexer.whitespace_split = True
        terms = list(lexer)
    except ValueError as exc:
        raise BadRequest(str(exc), message="Invalid search query") from exc
    conditions = []
    for term in terms:
        attribute, sep, value = term.partition(":")
        if not sep:
            attribute, value = "name", term
        exact = len(value) >= 2 and value[0] == value[-1] == '"'
        conditions.append(
            (attribute.lower() if attribute != "api-category" else attribute, value.strip('"'), exact)
        )
    return conditions


def search(
    apis: Sequence[API], query: str | None, sort_by: str | None = None, sort_order: str | None = None
) -> list[API]:
    conditions = parse_query(query)
    found = [
        a for a in apis if all(_matches(_text_field(a, attr), v, exact) for attr, v, exact in conditions)
    ]
    if sort_by:
        key = SORT_KEYS.get(sort_by)
        if key is None:
            raise BadRequest(f"sortBy must be one of {', '.join(SORT_KEYS)}")
        found.sort(key=key, reverse=(sort_order or "asc").lower() == "desc")  # type: ignore[arg-type]
    return found
