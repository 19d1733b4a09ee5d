"""Schema validation (``enableSchemaValidation``) compiled from the definition deployed with a revision.

``compile_validation`` reads an OpenAPI 3.0 / 3.1 or Swagger 2.0 definition once per deployed
revision and gives, per ``(verb, path)``, an ``OperationValidation``: its path, query and header
parameters, its request body and its responses, each with a jsonschema-rs validator built once.

Only local references (``#/...``) are followed; a component schema is embedded once in each
schema that reaches it, so cycles are the validator's business and cost nothing here. Walks are
bounded (``MAX_DEPTH``, ``MAX_NODES``, ``MAX_REF_HOPS``): a definition beyond them, or one whose
schemas do not compile, raises ``ValueError`` and the revision is not served.

OpenAPI 3.0 and Swagger 2.0 schemas become JSON Schema draft 4: ``nullable`` (``x-nullable``)
admits null, annotations (``example``, ``xml``, ``discriminator``...) are dropped, a ``readOnly``
property is not required in a request nor a ``writeOnly`` one in a response. OpenAPI 3.1 schemas
are JSON Schema 2020-12 already. Patterns run on Rust's linear-time ``regex`` engine; one that
needs look-around or back-references runs on ``fancy-regex`` with a backtracking limit.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, unquote

import jsonschema_rs

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_REF_HOPS = 16
# At most this many failures are named in one answer, each reason cut to this length.
MAX_REPORTED = 3
MAX_REASON = 200
# fancy-regex's limit on backtracking steps for the patterns the linear engine cannot run.
BACKTRACK_LIMIT = 10_000

Direction = Literal["request", "response"]

_VERBS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords whose value is one schema, a map of schemas, or a list of schemas.
_ONE = ("additionalProperties", "items", "not", "additionalItems", "contains", "propertyNames")
_MAP = ("properties", "patternProperties", "definitions", "dependencies")
_LIST = ("allOf", "anyOf", "oneOf")
# OpenAPI 3.0 / Swagger 2.0 keywords that JSON Schema does not have, or that only annotate.
_DROPPED = frozenset(
    ("nullable", "x-nullable", "example", "xml", "externalDocs", "discriminator", "deprecated")
)
# Keys of a Swagger 2.0 parameter that describe its value.
_PARAMETER_SCHEMA = frozenset(
    (
        "type",
        "format",
        "items",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "multipleOf",
    )
)
_SEPARATORS = {
    "csv": ",",
    "ssv": " ",
    "tsv": "\t",
    "pipes": "|",
    "multi": None,
    "form": ",",
    "simple": ",",
    "spaceDelimited": " ",
    "pipeDelimited": "|",
}
# OpenAPI: header parameters of these names are ignored (the media types and security say them).
_IGNORED_HEADERS = frozenset(("accept", "content-type", "authorization"))
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Invalid(Exception):
    """What failed, already worded for the answer's description."""


@dataclass(frozen=True, slots=True)
class ParameterCheck:
    name: str  # header names lower-case
    location: str  # path | query | header
    required: bool
    kind: str | None  # the declared type: values arrive as strings and are converted to it
    item_kind: str | None
    separator: str | None  # arrays: what splits one value; None: one value per repetition
    validator: jsonschema_rs.Validator | None

    def check(self, values: list[str] | None) -> None:
        label = f"{self.location} parameter '{self.name}'"
        if not values:
            if self.required:
                raise Invalid(f"{label} is required")
            return
        if self.validator is None:
            return
        value: Any
        if self.kind == "array":
            items = values if self.separator is None else values[0].split(self.separator)
            value = [_coerce(item, self.item_kind) for item in items]
        else:
            value = _coerce(values[0], self.kind)
        _raise_errors(self.validator, value, label)


@dataclass(frozen=True, slots=True)
class MediaTypes:
    """Declared media types (lower-case, without parameters), each with its JSON validator."""

    declared: tuple[tuple[str, jsonschema_rs.Validator | None], ...]

    def match(self, media_type: str) -> tuple[bool, jsonschema_rs.Validator | None]:
        """Whether ``media_type`` is declared, and the validator its JSON body is held to."""
        if not self.declared:
            return True, None
        found = False
        chosen: jsonschema_rs.Validator | None = None
        main = media_type.split("/", 1)[0]
        for declared, validator in self.declared:
            if declared == media_type:
                return True, validator
            if declared in ("*/*", f"{main}/*"):
                if not found:
                    chosen = validator
                found = True
        return found, chosen

    @property
    def names(self) -> str:
        return ", ".join(name for name, _ in self.declared)


@dataclass(frozen=True, slots=True)
class BodyCheck:
    required: bool
    media: MediaTypes


@dataclass(slots=True)
class OperationValidation:
    parameters: tuple[ParameterCheck, ...]
    reads_query: bool
    reads_headers: bool
    body: BodyCheck | None
    responses: dict[str, MediaTypes]  # "200", "2XX", "default"

    def check_parameters(
        self, path_params: Mapping[str, str], query: str, headers: Iterable[tuple[str, str]]
    ) -> None:
        if not self.parameters:
            return
        parsed = parse_qs(query, keep_blank_values=True) if self.reads_query and query else {}
        header_values: dict[str, list[str]] = {}
        if self.reads_headers:
            for name, value in headers:
                header_values.setdefault(name, []).append(value)
        for parameter in self.parameters:
            if parameter.location == "path":
                raw = path_params.get(parameter.name)
                parameter.check(None if raw is None else [unquote(raw)])
            elif parameter.location == "query":
                parameter.check(parsed.get(parameter.name))
            else:
                found = header_values.get(parameter.name)
                parameter.check(
                    None if found is None else [", ".join(found)] if parameter.separator else found
                )

    def response_media(self, status: int) -> MediaTypes | None:
        responses = self.responses
        found = responses.get(str(status))
        if found is None:
            found = responses.get(f"{status // 100}XX")
        if found is None:
            found = responses.get("default")
        return found


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def media_type_of(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decoded(data: bytes, encoding: str | None, limit: int) -> bytes:
    """``data`` without its Content-Encoding (gzip or deflate), at most ``limit`` bytes of it."""
    coding = (encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return data
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise Invalid(f"a body with Content-Encoding {coding!r} cannot be validated")
    inflater = zlib.decompressobj(wbits=47 if coding != "deflate" else 15)  # 47: gzip or zlib header
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise Invalid(f"the body is not valid {coding}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise Invalid(f"the decoded body is larger than the {limit} bytes validated")
    return out


def validate_json(validator: jsonschema_rs.Validator, data: bytes) -> None:
    """Raises ``Invalid`` naming where ``data`` breaks the schema (or that it is not JSON)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        raise Invalid(f"the body is not valid JSON: {reason}") from None
    _raise_errors(validator, document, None)


def _raise_errors(validator: jsonschema_rs.Validator, value: Any, label: str | None) -> None:
    if validator.is_valid(value):
        return
    reasons = []
    for error in validator.iter_errors(value):
        where = label or json_path(error.instance_path)
        reason = error.message
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 3] + "..."
        reasons.append(f"{where}: {reason}")
        if len(reasons) == MAX_REPORTED:
            break
    raise Invalid("; ".join(reasons))


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += "[" + json.dumps(part) + "]"
    return path[:MAX_REASON]


def _coerce(value: str, kind: str | None) -> Any:
    """A parameter's string as the declared type, else as it is (the schema then says why)."""
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "number":
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            return value
        return number if number == number and abs(number) != float("inf") else value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


# --- compiling ------------------------------------------------------------------------------


def compile_validation(definition: Any) -> dict[tuple[str, str], OperationValidation]:
    """``(VERB, path) -> OperationValidation`` for every operation the definition declares."""
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError:
            raise ValueError("the API definition is not a JSON document") from None
    if not isinstance(definition, Mapping):
        raise ValueError("enableSchemaValidation needs the API definition, and the artifact has none")
    return _Compiler(definition).operations()


class _Compiler:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        version = str(document.get("openapi") or "")
        self.swagger = str(document.get("swagger") or "").startswith("2")
        if not self.swagger and not version.startswith(("3.0", "3.1")):
            raise ValueError("the definition is neither OpenAPI 3.0 / 3.1 nor Swagger 2.0")
        self.native = version.startswith("3.1")  # schemas are JSON Schema 2020-12 already
        self.components_prefix = "#/definitions/" if self.swagger else "#/components/schemas/"
        self.nodes = 0
        self.converted: dict[tuple[Direction, str], Any] = {}
        self.shared: dict[tuple[Direction, str], jsonschema_rs.Validator] = {}

    # Documents and references.

    def resolve(self, node: Any) -> Any:
        """``node`` with its ``$ref`` followed (local references only), up to ``MAX_REF_HOPS``."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or ref in seen or len(seen) >= MAX_REF_HOPS:
                raise ValueError(f"the reference {ref!r} cannot be followed (a cycle, or too many hops)")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValueError(f"only local references are followed, not {ref!r}")
        node: Any = self.document
        for raw in ref[1:].split("/")[1:]:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise ValueError(f"the reference {ref!r} points at nothing")
        return node

    # Schemas.

    def convert(self, schema: Any, direction: Direction, depth: int = 0) -> Any:
        """``schema`` as JSON Schema for the validator (component references kept as they are)."""
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise ValueError(
                "the definition's schemas are too large or too deeply nested to validate against"
            )
        if isinstance(schema, bool) or not isinstance(schema, Mapping):
            return schema
        ref = schema.get("$ref")
        if self.native:
            # JSON Schema 2020-12: a reference keeps its siblings; only the document's are ours.
            return self._convert_children(dict(schema), direction, depth)
        if isinstance(ref, str):
            if ref.startswith(self.components_prefix) and ref.count("/") == self.components_prefix.count("/"):
                return {"$ref": ref}  # embedded whole by ``validator``; siblings of $ref are ignored in 3.0
            return self.convert(self.resolve(schema), direction, depth + 1)
        out: dict[str, Any] = {
            k: v for k, v in schema.items() if k not in _DROPPED and not k.startswith("x-")
        }
        out = self._convert_children(out, direction, depth)
        hidden = "readOnly" if direction == "request" else "writeOnly"
        properties = out.get("properties")
        required = out.get("required")
        if isinstance(properties, Mapping) and isinstance(required, list):
            raw_properties = schema.get("properties") or {}
            kept = [
                name
                for name in required
                if not (
                    isinstance(raw_properties.get(name), Mapping)
                    and self.resolve(raw_properties[name]).get(hidden) is True
                )
            ]
            if kept:
                out["required"] = kept
            else:
                out.pop("required")
        if schema.get("nullable") is True or schema.get("x-nullable") is True:
            out = _nullable(out)
        return out

    def _convert_children(self, out: dict[str, Any], direction: Direction, depth: int) -> dict[str, Any]:
        for key in _ONE:
            if isinstance(out.get(key), (Mapping, list)):
                value = out[key]
                out[key] = (
                    [self.convert(s, direction, depth + 1) for s in value]
                    if isinstance(value, list)
                    else self.convert(value, direction, depth + 1)
                )
        for key in _MAP:
            if isinstance(out.get(key), Mapping):
                out[key] = {
                    name: self.convert(s, direction, depth + 1) if isinstance(s, Mapping) else s
                    for name, s in out[key].items()
                }
        for key in _LIST:
            if isinstance(out.get(key), list):
                out[key] = [self.convert(s, direction, depth + 1) for s in out[key]]
        if self.native:
            for key in ("$defs", "dependentSchemas"):
                if isinstance(out.get(key), Mapping):
                    out[key] = {name: self.convert(s, direction, depth + 1) for name, s in out[key].items()}
            for key in ("prefixItems",):
                if isinstance(out.get(key), list):
                    out[key] = [self.convert(s, direction, depth + 1) for s in out[key]]
            for key in ("if", "then", "else", "unevaluatedItems", "unevaluatedProperties"):
                if isinstance(out.get(key), Mapping):
                    out[key] = self.convert(out[key], direction, depth + 1)
        return out

    def component(self, ref: str, direction: Direction) -> Any:
        key = (direction, ref)
        if key not in self.converted:
            self.converted[key] = self.convert(self.pointer(ref), direction)
        return self.converted[key]

    def validator(self, schema: Any, direction: Direction) -> jsonschema_rs.Validator | None:
        if schema is None:
            return None
        # Operations often share one component (``$ref: Pet``): one validator serves them all.
        ref = schema.get("$ref") if isinstance(schema, Mapping) and len(schema) == 1 else None
        if isinstance(ref, str):
            key = (direction, ref)
            if key not in self.shared:
                self.shared[key] = self._validator(schema, direction)
            return self.shared[key]
        return self._validator(schema, direction)

    def _validator(self, schema: Any, direction: Direction) -> jsonschema_rs.Validator:
        root = self.convert(schema, direction)
        if not isinstance(root, Mapping):
            root = {"allOf": [root]} if isinstance(root, bool) else {}
        embedded: dict[str, Any] = {}
        pending = list(_component_refs(root, self.components_prefix))
        while pending:
            ref = pending.pop()
            # A reference into a component (3.1 keeps them) needs the whole component embedded.
            name = ref[len(self.components_prefix) :].split("/", 1)[0]
            if name in embedded:
                continue
            converted = self.component(self.components_prefix + name, direction)
            embedded[name] = converted
            pending.extend(_component_refs(converted, self.components_prefix))
        document = dict(root)
        if embedded:
            decoded = {unquote(n).replace("~1", "/").replace("~0", "~"): s for n, s in embedded.items()}
            if self.swagger:
                document["definitions"] = {**document.get("definitions", {}), **decoded}
            else:
                document["components"] = {"schemas": decoded}
        return _build(document, native=self.native)

    # Operations.

    def operations(self) -> dict[tuple[str, str], OperationValidation]:
        compiled: dict[tuple[str, str], OperationValidation] = {}
        paths = self.document.get("paths") or {}
        if not isinstance(paths, Mapping):
            raise ValueError("the definition's paths are not an object")
        for path, raw_item in paths.items():
            item = self.resolve(raw_item)
            if not isinstance(item, Mapping):
                continue
            shared = item.get("parameters") or []
            for verb in _VERBS:
                operation = item.get(verb)
                if isinstance(operation, Mapping):
                    compiled[(verb.upper(), str(path))] = self.operation(operation, shared)
        return compiled

    def operation(self, operation: Mapping[str, Any], shared: list[Any]) -> OperationValidation:
        parameters: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*shared, *(operation.get("parameters") or [])]:
            parameter = self.resolve(raw)
            if isinstance(parameter, Mapping) and parameter.get("name") and parameter.get("in"):
                parameters[(str(parameter["in"]), str(parameter["name"]))] = parameter
        checks: list[ParameterCheck] = []
        body: BodyCheck | None = None
        for (location, _), parameter in parameters.items():
            if location in ("path", "query") or (
                location == "header" and str(parameter["name"]).lower() not in _IGNORED_HEADERS
            ):
                checks.append(self.parameter(parameter))
            elif location == "body" and self.swagger:
                body = BodyCheck(
                    bool(parameter.get("required")),
                    self.swagger_media("consumes", operation, parameter.get("schema"), "request"),
                )
        if not self.swagger and operation.get("requestBody") is not None:
            request_body = self.resolve(operation["requestBody"])
            body = BodyCheck(
                bool(request_body.get("required")), self.content(request_body.get("content"), "request")
            )
        responses: dict[str, MediaTypes] = {}
        for status, raw in (operation.get("responses") or {}).items():
            response = self.resolve(raw)
            if not isinstance(response, Mapping):
                continue
            media = (
                self.swagger_media("produces", operation, response.get("schema"), "response")
                if self.swagger
                else self.content(response.get("content"), "response")
            )
            if any(validator is not None for _, validator in media.declared):
                responses[str(status).upper()] = media
        return OperationValidation(
            parameters=tuple(checks),
            reads_query=any(c.location == "query" for c in checks),
            reads_headers=any(c.location == "header" for c in checks),
            body=body,
            responses=responses,
        )

    def parameter(self, parameter: Mapping[str, Any]) -> ParameterCheck:
        location = str(parameter["in"])
        name = str(parameter["name"])
        if self.swagger:
            schema: Any = {k: v for k, v in parameter.items() if k in _PARAMETER_SCHEMA}
            fmt = str(parameter.get("collectionFormat") or "csv")
            separator = _SEPARATORS.get(fmt, ",")
        else:
            schema = parameter.get("schema")
            style = str(parameter.get("style") or ("form" if location == "query" else "simple"))
            explode = parameter.get("explode", style == "form")
            separator = None if (location == "query" and explode) else _SEPARATORS.get(style, ",")
        resolved = self.resolve(schema) if isinstance(schema, Mapping) else {}
        kind = _kind(resolved)
        items = self.resolve(resolved.get("items")) if isinstance(resolved.get("items"), Mapping) else {}
        return ParameterCheck(
            name=name.lower() if location == "header" else name,
            location=location,
            required=bool(parameter.get("required")) or location == "path",
            kind=kind,
            item_kind=_kind(items),
            separator=separator if kind == "array" else None,
            # Objects in parameters (deepObject, exploded forms) are checked for presence only.
            validator=self.validator(schema, "request") if schema and kind != "object" else None,
        )

    def content(self, content: Any, direction: Direction) -> MediaTypes:
        declared: list[tuple[str, jsonschema_rs.Validator | None]] = []
        if isinstance(content, Mapping):
            for media_type, entry in content.items():
                name = media_type_of(str(media_type))
                schema = entry.get("schema") if isinstance(entry, Mapping) else None
                json_like = is_json(name) or name in ("*/*", "application/*")
                declared.append((name, self.validator(schema, direction) if json_like else None))
        return MediaTypes(tuple(declared))

    def swagger_media(
        self, key: str, operation: Mapping[str, Any], schema: Any, direction: Direction
    ) -> MediaTypes:
        names = operation.get(key) or self.document.get(key) or ["*/*"]
        validator = self.validator(schema, direction)
        declared = []
        for raw in names:
            name = media_type_of(str(raw))
            json_like = is_json(name) or name in ("*/*", "application/*")
            declared.append((name, validator if json_like else None))
        return MediaTypes(tuple(declared))


def _kind(schema: Any) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):  # 3.1: ["integer", "null"]
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _component_refs(schema: Any, prefix: str) -> Iterator[str]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                yield ref
            stack.extend(v for k, v in node.items() if k not in ("enum", "const", "default"))
        elif isinstance(node, list):
            stack.extend(node)


def _build(document: dict[str, Any], *, native: bool) -> jsonschema_rs.Validator:
    cls = jsonschema_rs.Draft202012Validator if native else jsonschema_rs.Draft4Validator
    try:
        return cls(
            document,
            validate_formats=True,
            mask="value",  # an answer names where and why, never the client's data
            offline=True,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except jsonschema_rs.ValidationError as exc:
        if '"regex"' not in exc.message:
            raise ValueError(f"a schema of the definition cannot be compiled: {exc.message}") from None
    try:
        return cls(
            document,
            validate_formats=True,
            mask="value",
            offline=True,
            pattern_options=jsonschema_rs.FancyRegexOptions(backtrack_limit=BACKTRACK_LIMIT),
        )
    except jsonschema_rs.ValidationError as exc:
        raise ValueError(f"a schema of the definition cannot be compiled: {exc.message}") from None
