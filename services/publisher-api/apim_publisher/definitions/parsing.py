"""JSON and YAML documents users upload (definitions, project files, policy specs), read with bounds.

YAML anchors and aliases are refused: an alias repeats a node without its text, so a few hundred
bytes can expand to millions of nodes that are then stored and served. Nesting deeper than
``MAX_DEPTH`` is refused too, before anything walks the document recursively.
"""

from __future__ import annotations

import json
from typing import Any

import yaml  # type: ignore[import-untyped]

MAX_DEPTH = 100


class ParseError(ValueError):
    """The text is not a document we accept; the message says why, without repeating the text."""


class _Bounded(yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML without anchors, aliases or implicit timestamps, nested at most ``MAX_DEPTH``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            mark = event.start_mark
            raise ParseError(
                f"YAML anchors and aliases are not accepted (line {mark.line + 1}, column {mark.column + 1})"
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ParseError(f"The document is nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# A ``version: 2024-01-01`` stays the string it was written as.
_Bounded.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def depth_of(document: Any) -> int:
    """How deeply ``document`` nests (a scalar is 0), walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth) for child in children)
    return deepest


def load_json(text: str) -> Any:
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise ParseError(f"The document is nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise ParseError(f"Not valid JSON: {exc.__class__.__name__} at {_position(exc)}") from exc
    if depth_of(document) > MAX_DEPTH:
        raise ParseError(f"The document is nested deeper than {MAX_DEPTH} levels")
    return document


def load_yaml(text: str) -> Any:
    try:
        loader = _Bounded(text)
    except yaml.reader.ReaderError as exc:  # the reader refuses a control character before parsing
        raise ParseError(
            f"Not valid YAML: unacceptable character #x{exc.character:04x} at position {exc.position}"
        ) from exc
    try:
        return loader.get_single_data()
    except RecursionError as exc:
        raise ParseError(f"The document is nested deeper than {MAX_DEPTH} levels") from exc
    except yaml.YAMLError as exc:
        raise ParseError(f"Not valid YAML: {_yaml_problem(exc)}") from exc
    finally:
        loader.dispose()


def load(text: str, *, as_json: bool | None = None) -> Any:
    """JSON when ``as_json`` (or, when None, when the text starts with ``{``), else YAML."""
    if as_json is None:
        as_json = text.lstrip().startswith("{")
    return load_json(text) if as_json else load_yaml(text)


def _position(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return "an unknown position"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or "malformed document"
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"
