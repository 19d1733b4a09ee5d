"""WSO2's search syntax: ``name:pizza version:"1.0.0" status:PUBLISHED`` or a bare term matching names."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from apim_common.errors import BadRequest


class Listed(Protocol):
    """What a search reads of an API: a whole row or its listed columns."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def context(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def lifecycle_status(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def listed_description(self) -> str | None: ...
    @property
    def listed_tags(self) -> str | None: ...
    @property
    def listed_categories(self) -> str | None: ...


T = TypeVar("T", bound=Listed)

SORT_KEYS: dict[str, Callable[[Listed], object]] = {
    "apiName": lambda a: a.name.lower(),
    "name": lambda a: a.name.lower(),
    "version": lambda a: a.version,
    "createdTime": lambda a: a.created_at,
    "status": lambda a: a.lifecycle_status,
    "context": lambda a: a.context,
    "provider": lambda a: a.provider,
}


def _text_field(api: Listed, attribute: str) -> list[str]:
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
            return [api.listed_description or ""]
        case "tags" | "tag":
            return (api.listed_tags or "").splitlines()
        case "api-category" | "category":
            return (api.listed_categories or "").splitlines()
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
    apis: Sequence[T], query: str | None, sort_by: str | None = None, sort_order: str | None = None
) -> list[T]:
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
