"""The specifications of the built-in policies, in WSO2's policy-spec format, and their parameter rules.

A spec says what a policy is called, where it may be attached (``applicableFlows``) and which
parameters it takes (``policyAttributes``). ``validate_parameters`` is the one rule set used both
when a publisher attaches a policy and when a gateway instantiates it, so a parameter the
publisher accepted never fails at deploy time and vice versa.

Services do not import each other: the publisher ships a copy of ``builtin_policies.json``, which
``render_json`` produces from this module (``python -m apim_gateway.policies.specs`` rewrites it;
a test keeps the two equal).

Attribute types: ``String``, ``Integer``, ``Boolean``, ``Enum``, ``JSON``. As in WSO2, parameters
usually arrive as strings: ``"true"``/``"false"`` count as Booleans, ``"42"`` as an Integer and a
JSON text as JSON. An empty string for an optional attribute means "not set".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

SPEC_VERSION = "v1"
JSON_PATH = Path(__file__).with_name("builtin_policies.json")

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# RFC 9110 token characters: what a header name may hold.
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
# No CR or LF: a value must not be able to start another header.
_NO_NEWLINE = r"^[^\r\n]*$"
_HTTP_URL = r"^https?://[^\s/?#]+(/[^\s]*)?$"


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


def _attr(
    name: str,
    display_name: str,
    description: str,
    type_: str = "String",
    *,
    required: bool = False,
    default: str | None = None,
    regex: str | None = None,
    allowed: list[str] | None = None,
) -> PolicyAttribute:
    return {
        "name": name,
        "displayName": display_name,
        "description": description,
        "type": type_,
        "required": required,
        "defaultValue": default,
        "validationRegex": regex,
        "allowedValues": allowed or [],
    }


def _spec(
    name: str,
    display_name: str,
    description: str,
    *,
    category: str,
    flows: list[str],
    multiple: bool,
    attributes: list[PolicyAttribute] | None = None,
) -> PolicySpec:
    return {
        "category": category,
        "name": name,
        "displayName": display_name,
        "description": description,
        "version": SPEC_VERSION,
        "multipleAllowed": multiple,
        "applicableFlows": flows,
        "supportedApiTypes": ["HTTP"],
        "policyAttributes": attributes or [],
    }


_ALL_FLOWS = ["request", "response", "fault"]
_LIMIT = r"^[0-9]+$"

BUILTIN_SPECS: dict[str, PolicySpec] = {
    spec["name"]: spec
    for spec in [
        _spec(
            "addHeader",
            "Add Header",
            "Sets a header on the request, or on the response in the response and fault flows.",
            category="Mediation",
            flows=_ALL_FLOWS,
            multiple=True,
            attributes=[
                _attr(
                    "headerName",
                    "Header Name",
                    "Name of the header to set.",
                    required=True,
                    regex=_HEADER_NAME,
                ),
                _attr(
                    "headerValue", "Header Value", "Value of the header.", required=True, regex=_NO_NEWLINE
                ),
            ],
        ),
        _spec(
            "removeHeader",
            "Remove Header",
            "Removes a header from the request, or from the response in the response and fault flows.",
            category="Mediation",
            flows=_ALL_FLOWS,
            multiple=True,
            attributes=[
                _attr(
                    "headerName",
                    "Header Name",
                    "Name of the header to remove.",
                    required=True,
                    regex=_HEADER_NAME,
                ),
            ],
        ),
        _spec(
            "rewriteResourcePath",
            "Rewrite Resource Path",
            "Sends the request to another resource path of the backend. "
            "{uri.var.NAME} in the new path is replaced by the path parameter NAME.",
            category="Mediation",
            flows=["request"],
            multiple=False,
            attributes=[
                _attr(
                    "newResourcePath",
                    "New Resource Path",
                    "The resource path the backend receives, starting with '/'.",
                    required=True,
                    regex=r"^/[^\s?#]*$",
                ),
                _attr(
                    "includeQueryParams",
                    "Include Query Parameters",
                    "Keep the query parameters of the request.",
                    "Boolean",
                    default="true",
                ),
            ],
        ),
        _spec(
            "changeHTTPMethod",
            "Change HTTP Method",
            "Sends the request to the backend with another HTTP method.",
            category="Mediation",
            flows=["request"],
            multiple=False,
            attributes=[
                _attr(
                    "currentMethod",
                    "Current HTTP Method",
                    "Change only requests with this method (any method when not set).",
                    "Enum",
                    allowed=_METHODS,
                ),
                _attr(
                    "updatedMethod",
                    "Updated HTTP Method",
                    "The method the backend receives.",
                    "Enum",
                    required=True,
                    allowed=_METHODS,
                ),
            ],
        ),
        _spec(
            "addQueryParam",
            "Add Query Parameter",
            "Adds a query parameter to the request sent to the backend.",
            category="Mediation",
            flows=["request"],
            multiple=True,
            attributes=[
                _attr(
                    "paramKey", "Query Parameter Key", "Name of the parameter.", required=True, regex=r"^\S+$"
                ),
                _attr("paramValue", "Query Parameter Value", "Value of the parameter.", required=True),
            ],
        ),
        _spec(
            "jsonToXML",
            "JSON to XML",
            "Converts a JSON body to XML (application/xml).",
            category="Mediation",
            flows=["request", "response"],
            multiple=False,
            attributes=[
                _attr(
                    "rootElement",
                    "Root Element",
                    "Name of the element wrapping the converted JSON.",
                    default="jsonObject",
                    regex=r"^[A-Za-z_][A-Za-z0-9_.-]*$",
                ),
            ],
        ),
        _spec(
            "xmlToJson",
            "XML to JSON",
            "Converts an XML body to JSON (application/json).",
            category="Mediation",
            flows=["request", "response"],
            multiple=False,
        ),
        _spec(
            "jsonValidator",
            "JSON Validator",
            "Refuses JSON bodies that break a JSON schema or the structural limits set here.",
            category="Security",
            flows=["request", "response"],
            multiple=False,
            attributes=[
                _attr("jsonSchema", "JSON Schema", "A JSON schema the body must satisfy.", "JSON"),
                _attr(
                    "maxJSONDepth",
                    "Max JSON Depth",
                    "Deepest nesting of objects and arrays.",
                    "Integer",
                    regex=_LIMIT,
                ),
                _attr(
                    "maxStringLength", "Max String Length", "Longest string value.", "Integer", regex=_LIMIT
                ),
                _attr(
                    "maxArrayElementCount",
                    "Max Array Element Count",
                    "Most elements in one array.",
                    "Integer",
                    regex=_LIMIT,
                ),
                _attr(
                    "maxPropertyCount",
                    "Max Property Count",
                    "Most properties in one object.",
                    "Integer",
                    regex=_LIMIT,
                ),
                _attr("maxKeyLength", "Max Key Length", "Longest property name.", "Integer", regex=_LIMIT),
            ],
        ),
        _spec(
            "regexPolicy",
            "Regex Threat Protection",
            "Refuses requests whose headers, path, query or body match a regular expression "
            "(case-insensitive search, as WSO2's threat protector).",
            category="Security",
            flows=["request"],
            multiple=True,
            attributes=[
                _attr("regex", "Regex", "The pattern that marks a threat.", required=True),
                _attr("threatType", "Threat Type", "Named in the error description.", default="Regex"),
                _attr(
                    "enabledCheckHeaders",
                    "Check Headers",
                    "Search the header values.",
                    "Boolean",
                    default="true",
                ),
                _attr(
                    "enabledCheckPathParams",
                    "Check Path and Query",
                    "Search the resource path and the query parameters.",
                    "Boolean",
                    default="true",
                ),
                _attr(
                    "enabledCheckBody", "Check Body", "Search the request body.", "Boolean", default="true"
                ),
            ],
        ),
        _spec(
            "addLogMessage",
            "Add Log Message",
            "Writes a log entry for the message; never delays or fails it.",
            category="Mediation",
            flows=_ALL_FLOWS,
            multiple=True,
            attributes=[
                _attr("logMessage", "Log Message", "Text of the entry.", regex=_NO_NEWLINE),
                _attr("logHeaders", "Log Headers", "Include the headers.", "Boolean", default="false"),
                _attr("logPayload", "Log Payload", "Include the body.", "Boolean", default="false"),
            ],
        ),
        _spec(
            "jwtClaimBasedAccessValidator",
            "JWT Claim Based Access Validator",
            "Allows or denies the request by a claim of the caller's JWT.",
            category="Security",
            flows=["request"],
            multiple=True,
            attributes=[
                _attr("accessVerificationClaim", "Claim Name", "The claim checked.", required=True),
                _attr(
                    "accessVerificationClaimValue",
                    "Claim Value",
                    "The value the claim is compared with.",
                    required=True,
                ),
                _attr(
                    "accessVerificationClaimValueRegex",
                    "Claim Value Regex",
                    "When set, the claim matches if it (and the configured value) fully match this pattern.",
                ),
                _attr(
                    "shouldAllowValidation",
                    "Allow On Match",
                    "true: only a matching claim passes; false: a matching claim is denied.",
                    "Boolean",
                    default="true",
                ),
            ],
        ),
        _spec(
            "backEndJWT",
            "Backend JWT",
            "Sends the backend a signed JWT describing the caller.",
            category="Security",
            flows=["request"],
            multiple=False,
            attributes=[
                _attr(
                    "header",
                    "Header",
                    "Header carrying the JWT to the backend.",
                    default="X-JWT-Assertion",
                    regex=_HEADER_NAME,
                ),
                _attr(
                    "signingAlgorithm",
                    "Signing Algorithm",
                    "How the JWT is signed.",
                    "Enum",
                    default="RS256",
                    allowed=["RS256", "NONE"],
                ),
                _attr(
                    "tokenTTL",
                    "Token TTL",
                    "Seconds the JWT is valid.",
                    "Integer",
                    default="900",
                    regex=_LIMIT,
                ),
                _attr(
                    "enableUserClaims",
                    "Include User Claims",
                    "Copy the caller's token claims into the JWT.",
                    "Boolean",
                    default="false",
                ),
            ],
        ),
        _spec(
            "mirrorRequest",
            "Mirror Request",
            "Sends a copy of the request to another URL in the background; its answer is ignored.",
            category="Mediation",
            flows=["request"],
            multiple=True,
            attributes=[
                _attr(
                    "url",
                    "Mirror URL",
                    "The copy goes to this URL joined with the resource path and query.",
                    required=True,
                    regex=_HTTP_URL,
                ),
            ],
        ),
        _spec(
            "redirectRequest",
            "Redirect Request",
            "Sends the request to another URL instead of the API's endpoint.",
            category="Mediation",
            flows=["request"],
            multiple=False,
            attributes=[
                _attr(
                    "url",
                    "Redirect URL",
                    "Used as the endpoint URL: joined with the resource path and query.",
                    required=True,
                    regex=_HTTP_URL,
                ),
            ],
        ),
        _spec(
            "callInterceptorService",
            "Call Interceptor Service",
            "Sends the message to an interceptor service, which may change headers and body or answer "
            "the client itself (WSO2's /api/v1/handle-request and /api/v1/handle-response contract).",
            category="Mediation",
            flows=["request", "response"],
            multiple=True,
            attributes=[
                _attr(
                    "interceptorServiceURL",
                    "Interceptor Service URL",
                    "Base URL of the interceptor service.",
                    required=True,
                    regex=_HTTP_URL,
                ),
                _attr(
                    "includes",
                    "Includes",
                    "Comma-separated parts sent to the service: request_headers, request_body, "
                    "response_headers, response_body, invocation_context, interceptor_context.",
                    default="request_headers,request_body,response_headers,response_body,"
                    "invocation_context,interceptor_context",
                    regex=r"^\s*[a-z_]+(\s*,\s*[a-z_]+)*\s*$",
                ),
                _attr(
                    "timeout",
                    "Timeout",
                    "Milliseconds to wait for the service's answer.",
                    "Integer",
                    default="10000",
                    regex=r"^[1-9][0-9]*$",
                ),
            ],
        ),
        _spec(
            "CORS",
            "CORS",
            "Answers CORS preflight requests and adds the Access-Control-* headers to responses.",
            category="Security",
            flows=["request", "response"],
            multiple=False,
            attributes=[
                _attr(
                    "accessControlAllowOrigins",
                    "Allowed Origins",
                    "Comma-separated origins, or *.",
                    default="*",
                    regex=_NO_NEWLINE,
                ),
                _attr(
                    "accessControlAllowMethods",
                    "Allowed Methods",
                    "Comma-separated methods.",
                    default="GET,PUT,POST,DELETE,PATCH,OPTIONS",
                    regex=r"^[A-Za-z]+(\s*,\s*[A-Za-z]+)*$",
                ),
                _attr(
                    "accessControlAllowHeaders",
                    "Allowed Headers",
                    "Comma-separated request headers.",
                    default="authorization,Access-Control-Allow-Origin,Content-Type,SOAPAction,apikey,Internal-Key",
                    regex=_NO_NEWLINE,
                ),
                _attr(
                    "accessControlExposeHeaders",
                    "Exposed Headers",
                    "Comma-separated response headers the browser may read.",
                    regex=_NO_NEWLINE,
                ),
                _attr(
                    "accessControlAllowCredentials",
                    "Allow Credentials",
                    "Let the browser send cookies and credentials.",
                    "Boolean",
                    default="false",
                ),
                _attr(
                    "accessControlMaxAge",
                    "Max Age",
                    "Seconds a browser may cache a preflight answer.",
                    "Integer",
                    regex=_LIMIT,
                ),
            ],
        ),
        _spec(
            "jsonFault",
            "JSON Fault",
            'Formats fault responses as JSON: {"code", "message", "description"}.',
            category="Mediation",
            flows=["fault"],
            multiple=False,
        ),
    ]
}

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
def _compile_validation_regex(pattern: str) -> re.Pattern[str]:
    # WSO2's specs sometimes write the regex as a JavaScript literal: /body/flags.
    flags = 0
    literal = re.fullmatch(r"/(.*)/([a-z]*)", pattern, re.DOTALL)
    if literal:
        pattern = literal.group(1)
        flags = re.IGNORECASE if "i" in literal.group(2) else 0
    return re.compile(_end_anchors_strict(pattern), flags)


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
        if isinstance(value, dict | list):
            return value, None
        if isinstance(value, str):
            try:
                return json.loads(value), None
            except ValueError as exc:
                return None, f"{name}: not valid JSON ({exc})"
        return None, f"{name}: expected JSON, got {value!r}"
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
            compiled = _compile_validation_regex(regex)
        except re.error:
            errors.append(f"{name}: the spec's validationRegex {regex!r} is not a valid pattern")
        else:
            if not compiled.search(text):
                errors.append(f"{name}: {raw!r} does not match {regex}")
    return value, errors


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


def specs_document() -> list[PolicySpec]:
    """The specs in a stable order, as the publisher lists them."""
    return [BUILTIN_SPECS[name] for name in sorted(BUILTIN_SPECS, key=str.lower)]


def render_json() -> str:
    return json.dumps(specs_document(), indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path = JSON_PATH) -> None:
    path.write_text(render_json(), encoding="utf-8")


if __name__ == "__main__":
    write_json()
