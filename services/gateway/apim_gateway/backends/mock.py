"""Mock implementations: an operation answered from the deployed definition, never the backend.

``MOCKED_OAS`` answers each operation with its definition's examples (OpenAPI 3.0/3.1 ``example``,
``examples`` and a schema's ``example``; Swagger 2.0 ``examples`` per mime type), and its response
headers' examples. ``INLINE`` answers an operation's ``x-static-response`` (status, headers, body),
else its examples as ``MOCKED_OAS`` does. Everything is worked out once per deployed revision; a
request only picks among precomputed answers:

- the status: ``Prefer: code=NNN``, else the first 2xx the operation defines, else its first;
- the example: ``Prefer: example=<name>`` among the media type's named examples, else the first;
- the media type: the best match of ``Accept`` (q-values, ``type/*``, ``*/*``) in definition order.

A request the operation cannot answer as asked is refused, as Prism does: an undefined status or
example is a 400, no acceptable media type a 406 naming those it has, no response at all a 501.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apim_gateway.context import GatewayResponse, Headers
from apim_gateway.errors import GatewayError

MOCKED_OAS = "MOCKED_OAS"
INLINE = "INLINE"
IMPLEMENTATIONS = frozenset((MOCKED_OAS, INLINE))
# The operation extension holding an INLINE operation's answer (see docs/decisions).
STATIC_RESPONSE = "x-static-response"

MOCK_BAD_PREFERENCE = ("400", "Bad Request")
MOCK_NOT_ACCEPTABLE = ("406", "Not Acceptable")
MOCK_NOT_IMPLEMENTED = ("501", "Not Implemented")

_VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAMETER = re.compile(r"\{[^}]*\}")
_MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class Variant:
    """One media type of one response: its default body and its named examples."""

    media_type: str
    body: bytes
    named: Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class MockResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    variants: tuple[Variant, ...]  # empty: a response without content


@dataclass(frozen=True, slots=True)
class MockOperation:
    """The answers of one operation, compiled once; ``answer`` only picks among them."""

    label: str
    first: MockResponse | None
    by_status: Mapping[int, MockResponse]
    default: MockResponse | None  # the ``default`` response, for any other status asked for

    def answer(self, headers: Headers) -> GatewayResponse:
        code, example = _preferences(headers)
        response = self._response(code)
        if not response.variants:
            return GatewayResponse(response.status, list(response.headers), b"")
        variant = _negotiate(response.variants, headers)
        if variant is None:
            offered = ", ".join(v.media_type for v in response.variants)
            raise GatewayError(
                406, MOCK_NOT_ACCEPTABLE, f"{self.label} answers {response.status} only as {offered}"
            )
        body = variant.body
        if example is not None:
            named = variant.named.get(example)
            if named is None:
                raise GatewayError(
                    400,
                    MOCK_BAD_PREFERENCE,
                    f"{self.label} has no example named {example!r} "
                    f"for {response.status} {variant.media_type}",
                )
            body = named
        return GatewayResponse(
            response.status, [*response.headers, ("content-type", variant.media_type)], body
        )

    def _response(self, code: int | None) -> MockResponse:
        if code is None:
            if self.first is None:
                raise GatewayError(
                    501, MOCK_NOT_IMPLEMENTED, f"The definition describes no response of {self.label}"
                )
            return self.first
        found = self.by_status.get(code)
        if found is not None:
            return found
        if self.default is not None:
            return MockResponse(code, self.default.headers, self.default.variants)
        defined = ", ".join(str(s) for s in self.by_status) or "none"
        raise GatewayError(
            400, MOCK_BAD_PREFERENCE, f"{self.label} defines no {code} response (it defines {defined})"
        )


class Mocks:
    """The mock answers of one deployed definition, looked up per operation at compile time."""

    def __init__(self, definition: Any, implementation: str) -> None:
        document: Mapping[str, Any] = definition if isinstance(definition, Mapping) else {}
        self.document = document
        self.inline = implementation == INLINE
        self.swagger2 = str(document.get("swagger") or "").startswith("2")
        self.produces = _strings(document.get("produces"))
        self.described: dict[tuple[str, str], Mapping[str, Any]] = {}
        paths = document.get("paths")
        for path, item in paths.items() if isinstance(paths, Mapping) else ():
            item = _resolve(document, item)
            if not isinstance(item, Mapping):
                continue
            for verb in _VERBS:
                operation = item.get(verb)
                if isinstance(operation, Mapping):
                    self.described[(verb.upper(), _PARAMETER.sub("{}", str(path)))] = operation

    def operation(self, verb: str, target: str) -> MockOperation:
        """The operation's answers; one the definition lacks answers 501."""
        label = f"{verb} {target}"
        operation = self.described.get((verb, _PARAMETER.sub("{}", target)), {})
        static = operation.get(STATIC_RESPONSE) if self.inline else None
        if isinstance(static, Mapping):
            response = static_response(static)
            return MockOperation(label, response, {response.status: response}, None)
        return _from_examples(self.document, operation, label, self.swagger2, self.produces)


def static_response(static: Mapping[str, Any]) -> MockResponse:
    """``{status, headers, body}``: a string body as it is, any other JSON value as JSON."""
    status = int(static.get("status") or 200)
    raw_headers = static.get("headers")
    given = raw_headers if isinstance(raw_headers, Mapping) else {}
    headers = {str(k).lower(): str(v) for k, v in given.items()}
    body = static.get("body")
    if body is None:
        return MockResponse(status, tuple(headers.items()), ())
    media_type = headers.pop("content-type", "text/plain" if isinstance(body, str) else "application/json")
    encoded = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return MockResponse(status, tuple(headers.items()), (Variant(media_type, encoded, {}),))


def _from_examples(
    document: Mapping[str, Any],
    operation: Mapping[str, Any],
    label: str,
    swagger2: bool,
    produces: list[str],
) -> MockOperation:
    responses = _resolve(document, operation.get("responses"))
    by_status: dict[int, MockResponse] = {}
    default: MockResponse | None = None
    media_types = _strings(operation.get("produces")) or produces or ["application/json"]
    for key, raw in responses.items() if isinstance(responses, Mapping) else ():
        spec = _resolve(document, raw)
        if not isinstance(spec, Mapping):
            continue
        status = 500 if str(key) == "default" else _status(str(key))
        if status is None:
            continue
        headers = _headers(document, spec.get("headers"))
        if swagger2:
            variants = _swagger2_variants(document, spec, media_types)
        else:
            variants = _openapi3_variants(document, spec.get("content"))
        response = MockResponse(status, headers, variants)
        if str(key) == "default":
            default = response
        else:
            by_status.setdefault(status, response)
    first = next((r for s, r in by_status.items() if 200 <= s < 300), None)
    if first is None:
        first = next(iter(by_status.values()), None)
    if first is None and default is not None:
        first = MockResponse(200, default.headers, default.variants)
    return MockOperation(label, first, by_status, default)


def _status(key: str) -> int | None:
    """``"200"`` -> 200; ``"2XX"`` -> 200 (its first code); anything else is no status."""
    if len(key) == 3 and key[0] in "12345":
        if key.isdigit():
            return int(key)
        if key[1:].upper() == "XX":
            return int(key[0]) * 100
    return None


def _openapi3_variants(document: Mapping[str, Any], content: Any) -> tuple[Variant, ...]:
    variants = []
    for media_type, raw in content.items() if isinstance(content, Mapping) else ():
        media = _resolve(document, raw)
        if not isinstance(media, Mapping):
            continue
        named: dict[str, bytes] = {}
        examples = media.get("examples")
        for name, example in examples.items() if isinstance(examples, Mapping) else ():
            example = _resolve(document, example)
            if isinstance(example, Mapping) and "value" in example:
                named[str(name)] = _encode(str(media_type), example["value"])
        if "example" in media:
            body = _encode(str(media_type), media["example"])
        elif named:
            body = next(iter(named.values()))
        else:
            value = _schema_example(document, media.get("schema"), 0)
            body = b"" if value is _NONE else _encode(str(media_type), value)
        variants.append(Variant(str(media_type), body, named))
    return tuple(variants)


def _swagger2_variants(
    document: Mapping[str, Any], spec: Mapping[str, Any], media_types: list[str]
) -> tuple[Variant, ...]:
    examples = spec.get("examples")
    given = examples if isinstance(examples, Mapping) else {}
    variants = [Variant(str(m), _encode(str(m), v), {}) for m, v in given.items()]
    if variants:
        return tuple(variants)
    if spec.get("schema") is None:
        return ()
    value = _schema_example(document, spec.get("schema"), 0)
    return tuple(Variant(m, b"" if value is _NONE else _encode(m, value), {}) for m in media_types)


def _headers(document: Mapping[str, Any], raw: Any) -> tuple[tuple[str, str], ...]:
    headers = []
    for name, spec in raw.items() if isinstance(raw, Mapping) else ():
        spec = _resolve(document, spec)
        if not isinstance(spec, Mapping):
            continue
        value: Any = _NONE
        for key in ("example", "x-example", "default"):
            if key in spec:
                value = spec[key]
                break
        if value is _NONE:
            examples = spec.get("examples")
            if isinstance(examples, Mapping) and examples:
                first = _resolve(document, next(iter(examples.values())))
                if isinstance(first, Mapping) and "value" in first:
                    value = first["value"]
        if value is _NONE:
            value = _schema_example(document, spec.get("schema"), 0)
        if value is not _NONE and str(name).lower() != "content-type":
            text = value if isinstance(value, str) else json.dumps(value)
            headers.append((str(name).lower(), text))
    return tuple(headers)


class _Missing:
    pass


_NONE: Any = _Missing()


def _schema_example(document: Mapping[str, Any], raw: Any, depth: int) -> Any:
    """A schema's ``example``, else one built from its properties' or items' examples."""
    schema = _resolve(document, raw)
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return _NONE
    if "example" in schema:
        return schema["example"]
    examples = schema.get("examples")  # JSON Schema (OpenAPI 3.1): a list
    if isinstance(examples, list) and examples:
        return examples[0]
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        built = {}
        for name, prop in properties.items():
            value = _schema_example(document, prop, depth + 1)
            if value is not _NONE:
                built[str(name)] = value
        return built if built else _NONE
    if schema.get("type") == "array":
        item = _schema_example(document, schema.get("items"), depth + 1)
        return [item] if item is not _NONE else _NONE
    for combined in ("allOf", "oneOf", "anyOf"):
        parts = schema.get(combined)
        if isinstance(parts, list) and parts:
            return _schema_example(document, parts[0], depth + 1)
    return _NONE


def _encode(media_type: str, value: Any) -> bytes:
    """JSON media types get JSON; any other gets a string example as it is."""
    essence = media_type.split(";", 1)[0].strip().lower()
    if isinstance(value, str) and not (essence.endswith("/json") or essence.endswith("+json")):
        return value.encode()
    return json.dumps(value).encode()


def _resolve(document: Mapping[str, Any], value: Any) -> Any:
    """A local ``$ref`` (``#/components/...``, ``#/responses/...``) followed; others as they are."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(value, Mapping):
            return value
        ref = value.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return value
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        value = target
    return None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _preferences(headers: Headers) -> tuple[int | None, str | None]:
    """``Prefer: code=404, example=missing`` -> ``(404, "missing")``."""
    code: int | None = None
    example: str | None = None
    for name, value in headers:
        if name != "prefer":
            continue
        for part in re.split(r"[,;]", value):
            key, _, given = part.partition("=")
            key, given = key.strip().lower(), given.strip().strip('"')
            if key == "code":
                if not given.isdigit() or not 100 <= int(given) <= 599:
                    raise GatewayError(
                        400, MOCK_BAD_PREFERENCE, f"Prefer: code={given} is not an HTTP status"
                    )
                code = int(given)
            elif key == "example" and given:
                example = given
    return code, example


def _negotiate(variants: tuple[Variant, ...], headers: Headers) -> Variant | None:
    """The variant ``Accept`` ranks highest (definition order breaks ties); the first without it."""
    accept = ",".join(v for k, v in headers if k == "accept").strip()
    if not accept:
        return variants[0]
    ranges = []
    for item in accept.split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    best: Variant | None = None
    best_q = 0.0
    for variant in variants:
        essence = variant.media_type.split(";", 1)[0].strip().lower()
        kind = essence.split("/", 1)[0]
        q_for: float | None = None
        precision = -1
        for media, q in ranges:
            if media == essence:
                rank = 2
            elif media == f"{kind}/*":
                rank = 1
            elif media == "*/*":
                rank = 0
            else:
                continue
            if rank > precision:
                precision, q_for = rank, q
        if q_for is not None and q_for > best_q:
            best, best_q = variant, q_for
    return best
