"""An API's operations as API chat's tools, read from its OpenAPI document (WSO2's tool shape)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from apim_devportal.catalog.search import tokenize

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_PARAM = re.compile(r"\{([^}]+)\}")
# Path words that name an action rather than a thing (``/pet/findByStatus``, ``/user/login``).
_ACTION = re.compile(r"(find|search|log|query)", re.I)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[0-9]+|[A-Z]+(?![a-z])")


def words(name: str) -> list[str]:
    """``employeeId`` -> ``["employee", "id"]``; ``on_leave`` -> ``["on", "leave"]``."""
    return [w.lower() for w in _WORDS.findall(name)]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    stems = tokenize(word)
    return stems[0] if stems else word.lower()


@dataclass
class Field:
    """One input of an operation: a path, query or body field."""

    name: str
    location: str
    schema: dict[str, Any]
    required: bool
    description: str = ""
    anchor: str = ""  # the path segment before a path parameter (``/invoices/{n}``: invoices)

    @property
    def kind(self) -> str:
        return str(self.schema.get("type") or "string")

    @property
    def format(self) -> str:
        return str(self.schema.get("format") or "")

    @cached_property
    def terms(self) -> set[str]:
        found = {stem(w) for w in words(self.name) if w not in ("id", "number", "code", "key")}
        if self.anchor:
            found.add(stem(self.anchor))
        found |= set(tokenize(self.description))
        return found

    @property
    def enum(self) -> list[Any]:
        return list(self.schema.get("enum") or [])


def fields_of(tool: Tool) -> list[Field]:
    found = []
    segments = tool.path.split("/")
    for parameter in tool.parameters:
        if parameter.location == "header":
            continue
        anchor = ""
        if parameter.location == "path":
            marker = "{" + parameter.name + "}"
            if marker in segments and segments.index(marker) > 0:
                anchor = segments[segments.index(marker) - 1]
        found.append(_field(parameter, anchor))
    for name, schema in (tool.body or {}).items():
        required = name in tool.body_required
        found.append(Field(name, "body", schema, required, str(schema.get("description") or "")))
    return found


def _field(parameter: Parameter, anchor: str) -> Field:
    return Field(
        parameter.name,
        parameter.location,
        parameter.schema or {"type": "string"},
        parameter.required,
        parameter.description,
        anchor,
    )


@dataclass
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass
class Tool:
    name: str
    method: str
    path: str
    description: str
    parameters: list[Parameter] = field(default_factory=list)
    # Top-level properties of a JSON request body: name -> schema.
    body: dict[str, dict[str, Any]] | None = None
    # The operation's longer description, and the body properties its schema requires.
    details: str = ""
    body_required: tuple[str, ...] = ()

    @property
    def entity(self) -> str:
        """What the operation is about: its path's last fixed word, singular (``/store/order``: order)."""
        fixed = [s for s in self.path.split("/") if s and not s.startswith("{")]
        while len(fixed) > 1 and _ACTION.match(fixed[-1]):
            fixed.pop()
        word = fixed[-1].lower() if fixed else ""
        return word[:-1] if word.endswith("s") and not word.endswith("ss") else word

    @cached_property
    def fields(self) -> list[Field]:
        """Its path, query and body fields, worked out once."""
        return fields_of(self)

    @property
    def text(self) -> str:
        return f"{self.description} ({self.method} {self.path})"

    @property
    def terms(self) -> set[str]:
        names = " ".join(p.name for p in self.parameters)
        return set(tokenize(f"{self.description} {self.details} {self.path} {names}"))

    def public(self) -> dict[str, Any]:
        parameters = {
            p.name: {
                "location": p.location,
                "description": p.description or p.name,
                "required": p.required,
                "style": "form" if p.location == "query" else "simple",
                "explode": p.location == "query",
                "schema": p.schema or {"type": "string"},
            }
            for p in self.parameters
        }
        found: dict[str, Any] = {
            "name": self.name,
            "description": f"{self.description}. This tool invokes a HTTP {self.method} resource",
            "method": self.method,
            "path": self.path,
            "parameters": parameters,
        }
        if self.body is not None:
            found["requestBody"] = {"properties": self.body}
        return found


def tool_name(method: str, path: str) -> str:
    """``GET /order/{orderId}`` -> ``GET-order_orderId``, WSO2's naming."""
    return f"{method}-" + "_".join(s.strip("{}") for s in path.split("/") if s)


def _resolve(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    for _ in range(5):
        if isinstance(schema, dict) and "$ref" in schema:
            target: Any = document
            for part in str(schema["$ref"]).lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = target
    return schema if isinstance(schema, dict) else {}


def from_openapi(text: str) -> list[Tool]:
    """The operations of an OpenAPI 3 (or Swagger 2) JSON document."""
    try:
        document = json.loads(text)
    except ValueError:
        return []
    tools: list[Tool] = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters: dict[str, Parameter] = {}
            for raw in [*shared, *(operation.get("parameters") or [])]:
                raw = _resolve(document, raw)
                if raw.get("in") in ("path", "query", "header") and raw.get("name"):
                    parameters[raw["name"]] = Parameter(
                        name=str(raw["name"]),
                        location=str(raw["in"]),
                        required=bool(raw.get("required")) or raw.get("in") == "path",
                        schema=_resolve(document, raw.get("schema") or {"type": raw.get("type", "string")}),
                        description=str(raw.get("description") or ""),
                    )
            for name in _PARAM.findall(path):
                parameters.setdefault(name, Parameter(name, "path", True, {"type": "string"}))
            body = None
            required: tuple[str, ...] = ()
            content = (operation.get("requestBody") or {}).get("content") or {}
            schema = _resolve(document, (content.get("application/json") or {}).get("schema"))
            if schema:
                body = {k: _resolve(document, v) for k, v in (schema.get("properties") or {}).items()}
                required = tuple(str(n) for n in schema.get("required") or [] if n in body)
            summary = str(operation.get("summary") or operation.get("description") or f"{method} {path}")
            details = str(operation.get("description") or "") if operation.get("summary") else ""
            tools.append(
                Tool(
                    tool_name(method.upper(), path),
                    method.upper(),
                    path,
                    summary,
                    list(parameters.values()),
                    body,
                    details,
                    required,
                )
            )
    _share_descriptions(tools)
    return tools


def _share_descriptions(tools: list[Tool]) -> None:
    """A field the document describes once (``customerId``: "such as CUST-204") is described
    wherever else a field of that name appears without a description of its own."""
    said: dict[str, str] = {}
    for tool in tools:
        for parameter in tool.parameters:
            if parameter.description:
                said.setdefault(parameter.name, parameter.description)
        for name, schema in (tool.body or {}).items():
            if schema.get("description"):
                said.setdefault(name, str(schema["description"]))
    for tool in tools:
        for parameter in tool.parameters:
            parameter.description = parameter.description or said.get(parameter.name, "")
        if tool.body:
            tool.body = {
                name: schema
                if schema.get("description") or name not in said
                else {**schema, "description": said[name]}
                for name, schema in tool.body.items()
            }


def from_public(items: list[dict[str, Any]]) -> list[Tool]:
    """Tools as a client posted them back (the shape :meth:`Tool.public` gives)."""
    tools = []
    for item in items:
        if not isinstance(item, dict) or not item.get("method") or not item.get("path"):
            continue
        parameters = [
            Parameter(
                name=str(name),
                location=str(spec.get("location") or "query"),
                required=bool(spec.get("required")),
                schema=dict(spec.get("schema") or {}),
                description=str(spec.get("description") or ""),
            )
            for name, spec in (item.get("parameters") or {}).items()
            if isinstance(spec, dict)
        ]
        body = (item.get("requestBody") or {}).get("properties") if item.get("requestBody") else None
        description = str(item.get("description") or "").split(". This tool invokes")[0]
        method = str(item["method"]).upper()
        tools.append(
            Tool(
                str(item.get("name") or tool_name(method, str(item["path"]))),
                method,
                str(item["path"]),
                description,
                parameters,
                dict(body) if isinstance(body, dict) else None,
            )
        )
    return tools
