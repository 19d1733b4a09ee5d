"""Policy specs in WSO2's format and the one set of parameter rules every service applies.

A spec says what a policy is called, where it may be attached (``applicableFlows``), whether it
may appear twice in one flow (``multipleAllowed``) and which parameters it takes
(``policyAttributes``). The publisher checks an attachment with these rules when it is written
and the gateway when it compiles a deployed revision, so a parameter accepted by one is never
refused by the other.

Attribute types: ``String``, ``Integer``, ``Boolean``, ``Enum``, ``JSON`` and ``Regex``. As in
WSO2, parameters usually arrive as strings: ``"true"``/``"false"`` count as Booleans, ``"42"`` as
an Integer and a JSON text as JSON. An empty string for an optional attribute means "not set".
A ``Regex`` is a string the gateway runs with RE2 (linear time, no backtracking): a pattern RE2
cannot compile (look-arounds, back-references) is refused when the policy is attached. So is a
JSON value holding such a pattern under a JSON-schema keyword (``pattern``, ``patternProperties``):
the gateway runs those with RE2 too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, TypedDict

import re2

FLOWS = ("request", "response", "fault")
# The API types a policy may name in supportedApiTypes (the types the publisher accepts).
API_TYPES = ("HTTP", "SOAP", "SOAPTOREST", "GRAPHQL", "WS", "SSE", "WEBSUB", "WEBHOOK", "ASYNC")


class PolicyAttribute(TypedDict):
    name: str
    displayName: str
    description: str
    type: str
    required: bool
    defaultValue: str | None
    validationRegex: str | None
    allowedValues: list[str]


class PolicySpec(TypedDict):
    category: str
    name: str
    displayName: str
    description: str
    version: str
    multipleAllowed: bool
    applicableFlows: list[str]
    supportedApiTypes: list[str]
    policyAttributes: list[PolicyAttribute]


TYPES = ("String", "Integer", "Boolean", "Enum", "JSON", "Regex")
_TRUE = frozenset(("true", "1", "yes"))
_FALSE = frozenset(("false", "0", "no"))


def _is_set(value: Any) -> bool:
    return value is not None and value != ""


def _end_anchors_strict(pattern: str) -> str:
    """``$`` as JavaScript reads it: the very end. Python's ``$`` also matches before a final newline."""
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


@lru_cache(maxsize=256)
def compile_validation_regex(pattern: str) -> re.Pattern[str]:
    """A spec's ``validationRegex``; WSO2's specs sometimes write it as a JavaScript literal /body/flags."""
    flags = 0
    literal = re.fullmatch(r"/(.*)/([a-z]*)", pattern, re.DOTALL)
    if literal:
        pattern = literal.group(1)
        flags = re.IGNORECASE if "i" in literal.group(2) else 0
    return re.compile(_end_anchors_strict(pattern), flags)


def _quiet() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is answered, not logged to stderr
    return options


_RE2_CHECK = _quiet()


def linear_pattern_error(pattern: str) -> str | None:
    """Why RE2 cannot run ``pattern`` (None when it can): the gateway runs no backtracking regex."""
    try:
        re2.compile(pattern, _RE2_CHECK)
    except UnicodeEncodeError:
        return "not a regular expression: it holds characters UTF-8 cannot encode"
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"not a regular expression the gateway can run in linear time (RE2 syntax): {reason}"
    return None


def schema_patterns(value: Any) -> Iterator[str]:
    """The regular expressions of a JSON schema: ``pattern`` values and ``patternProperties`` keys."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            pattern = item.get("pattern")
            if isinstance(pattern, str):
                yield pattern
            properties = item.get("patternProperties")
            if isinstance(properties, dict):
                yield from (key for key in properties if isinstance(key, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _convert(attribute: PolicyAttribute, value: Any) -> tuple[Any, str | None]:
    """The value as its attribute's type, or an error naming the attribute."""
    name, type_ = attribute["name"], attribute["type"]
    if type_ == "Boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE, None
        return None, f"{name}: expected a Boolean (true or false), got {value!r}"
    if type_ == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
            return int(value), None
        return None, f"{name}: expected an Integer, got {value!r}"
    if type_ == "JSON":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                return None, f"{name}: not valid JSON ({exc})"
        elif not isinstance(value, dict | list):
            return None, f"{name}: expected JSON, got {value!r}"
        for pattern in schema_patterns(value):
            reason = linear_pattern_error(pattern)
            if reason is not None:
                return None, f"{name}: the pattern {pattern!r} is {reason}"
        return value, None
    if type_ == "Regex":
        if not isinstance(value, str):
            return None, f"{name}: expected a regular expression, got {type(value).__name__}"
        reason = linear_pattern_error(value)
        if reason is not None:
            return None, f"{name}: {reason}"
        return value, None
    # String and Enum
    if isinstance(value, str):
        return value, None
    return None, f"{name}: expected a string, got {type(value).__name__}"


def _check(attribute: PolicyAttribute, raw: Any) -> tuple[Any, list[str]]:
    name = attribute["name"]
    value, error = _convert(attribute, raw)
    if error:
        return None, [error]
    errors: list[str] = []
    allowed = attribute["allowedValues"]
    if allowed and value not in allowed:
        errors.append(f"{name}: {raw!r} is not one of {', '.join(allowed)}")
    regex = attribute["validationRegex"]
    if regex and attribute["type"] != "JSON":
        text = str(value).lower() if isinstance(value, bool) else str(value)
        try:
            compiled = compile_validation_regex(regex)
        except re.error:
            errors.append(f"{name}: the spec's validationRegex {regex!r} is not a valid pattern")
        else:
            if not compiled.search(text):
                errors.append(f"{name}: {raw!r} does not match {regex}")
    return value, errors


CORS_WILDCARD_WITH_CREDENTIALS = (
    "may not be true while the allowed origins include *: any site could then make credentialed "
    "calls as its visitors; name the origins instead"
)


def cors_origins_allow_credentials(origins: list[str], credentials: bool) -> bool:
    """Whether a CORS setting may send credentials to these origins (never to ``*``)."""
    return not (credentials and "*" in (origin.strip() for origin in origins))


def _cors_rules(values: Mapping[str, Any]) -> list[str]:
    origins = str(values.get("accessControlAllowOrigins") or "").split(",")
    if not cors_origins_allow_credentials(origins, bool(values.get("accessControlAllowCredentials"))):
        return [f"accessControlAllowCredentials: {CORS_WILDCARD_WITH_CREDENTIALS}"]
    return []


# Rules between the attributes of a built-in policy, checked once each attribute is valid.
_RULES: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {"CORS": _cors_rules}


def validate_parameters(spec: PolicySpec, parameters: Mapping[str, Any]) -> list[str]:
    """Every reason ``parameters`` cannot configure the policy of ``spec``; each names its attribute."""
    errors: list[str] = []
    for attribute in spec["policyAttributes"]:
        raw = parameters.get(attribute["name"])
        if not _is_set(raw):
            if attribute["required"]:
                errors.append(f"{attribute['name']}: required")
            continue
        errors += _check(attribute, raw)[1]
    rule = _RULES.get(spec["name"])
    if not errors and rule is not None:
        errors += rule(resolve_parameters(spec, parameters))
    return errors


def resolve_parameters(spec: PolicySpec, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes' typed values, defaults filled in (None where unset); parameters must be valid."""
    values: dict[str, Any] = {}
    for attribute in spec["policyAttributes"]:
        raw = parameters.get(attribute["name"])
        if not _is_set(raw):
            raw = attribute["defaultValue"]
        values[attribute["name"]] = _check(attribute, raw)[0] if _is_set(raw) else None
    return values


def check_spec(spec: Mapping[str, Any]) -> list[str]:
    """Reasons a user-written spec cannot be used: missing fields, unknown flows, types or bad regexes."""
    errors: list[str] = []
    name = spec.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,99}", name):
        errors.append("name: required, a letter followed by letters, digits, '_' or '-'")
    flows = spec.get("applicableFlows")
    if not isinstance(flows, list) or not flows or any(f not in FLOWS for f in flows):
        errors.append(f"applicableFlows: a non-empty list of {', '.join(FLOWS)}")
    types = spec.get("supportedApiTypes")
    if types is not None and (
        not isinstance(types, list) or not types or any(t not in API_TYPES for t in types)
    ):
        errors.append(f"supportedApiTypes: a non-empty list of {', '.join(API_TYPES)}")
    attributes = spec.get("policyAttributes") or []
    if not isinstance(attributes, list):
        return [*errors, "policyAttributes: must be a list"]
    for index, attribute in enumerate(attributes):
        label = f"policyAttributes[{index}]"
        if not isinstance(attribute, dict) or not isinstance(attribute.get("name"), str):
            errors.append(f"{label}: needs a name")
            continue
        if attribute.get("type", "String") not in TYPES:
            errors.append(f"{label}.type: one of {', '.join(TYPES)}")
        regex = attribute.get("validationRegex")
        if regex:
            try:
                compile_validation_regex(str(regex))
            except re.error:
                errors.append(f"{label}.validationRegex: not a valid pattern")
    return errors


def normalise_spec(spec: Mapping[str, Any], *, category: str = "Mediation") -> PolicySpec:
    """A user-written spec with every field present (call ``check_spec`` first)."""
    attributes: list[PolicyAttribute] = [
        {
            "name": str(a["name"]),
            "displayName": str(a.get("displayName") or a["name"]),
            "description": str(a.get("description") or ""),
            "type": str(a.get("type") or "String"),
            "required": bool(a.get("required", False)),
            "defaultValue": None if a.get("defaultValue") is None else str(a["defaultValue"]),
            "validationRegex": a.get("validationRegex") or None,
            "allowedValues": [str(v) for v in a.get("allowedValues") or []],
        }
        for a in spec.get("policyAttributes") or []
    ]
    return {
        "category": str(spec.get("category") or category),
        "name": str(spec["name"]),
        "displayName": str(spec.get("displayName") or spec["name"]),
        "description": str(spec.get("description") or ""),
        "version": str(spec.get("version") or "v1"),
        "multipleAllowed": bool(spec.get("multipleAllowed", False)),
        "applicableFlows": [str(f) for f in spec["applicableFlows"]],
        "supportedApiTypes": [str(t) for t in spec.get("supportedApiTypes") or ["HTTP"]],
        "policyAttributes": attributes,
    }


def check_flow(spec: PolicySpec, flow: str, count_in_flow: int) -> list[str]:
    """Reasons the policy cannot be attached to ``flow`` where it already appears ``count_in_flow`` times."""
    errors: list[str] = []
    if flow not in spec["applicableFlows"]:
        flows = ", ".join(spec["applicableFlows"])
        errors.append(f"{spec['name']} applies to {flows}, not to the {flow} flow")
    if count_in_flow > 1 and not spec["multipleAllowed"]:
        errors.append(f"{spec['name']} may appear only once in the {flow} flow")
    return errors
