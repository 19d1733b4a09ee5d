"""The specifications of the built-in policies, in WSO2's policy-spec format.

A spec says what a policy is called, where it may be attached (``applicableFlows``) and which
parameters it takes (``policyAttributes``). ``validate_parameters`` (in ``apim_common.policy_specs``)
is the one rule set used both when a publisher attaches a policy and when a gateway instantiates
it, so a parameter the publisher accepted never fails at deploy time and vice versa.

Services do not import each other: the publisher ships a copy of ``builtin_policies.json``, which
``render_json`` produces from this module (``python -m apim_gateway.policies.specs`` rewrites it;
a test keeps the two equal).
"""

from __future__ import annotations

import json
from pathlib import Path

from apim_common.policy_specs import PolicyAttribute, PolicySpec, resolve_parameters, validate_parameters

SPEC_VERSION = "v1"
JSON_PATH = Path(__file__).with_name("builtin_policies.json")

__all__ = ["BUILTIN_SPECS", "PolicyAttribute", "PolicySpec", "resolve_parameters", "validate_parameters"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# RFC 9110 token characters: what a header name may hold.
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
# No CR or LF: a value must not be able to start another header.
_NO_NEWLINE = r"^[^\r\n]*$"
_HTTP_URL = r"^https?://[^\s/?#]+(/[^\s]*)?$"


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
            "requestSizeLimit",
            "Request Size Limit",
            "Refuses (413) a request whose body is larger than the given size, in place of the "
            "gateway's default limit (APIM_GATEWAY_MAX_REQUEST_BODY_SIZE, 10 MiB unless set).",
            category="Security",
            flows=["request"],
            multiple=False,
            attributes=[
                _attr(
                    "maxRequestBodySize",
                    "Max Request Body Size",
                    "The largest request body accepted, in bytes (1 to 9999999999).",
                    "Integer",
                    required=True,
                    regex=r"^[1-9][0-9]{0,9}$",
                ),
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
                _attr(
                    "regex",
                    "Regex",
                    "The pattern that marks a threat, in RE2 syntax (no look-arounds or "
                    "back-references): it runs in time linear in the text searched.",
                    "Regex",
                    required=True,
                ),
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
                    "When set, the claim matches if it (and the configured value) fully match this "
                    "pattern (RE2 syntax: no look-arounds or back-references).",
                    "Regex",
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


def specs_document() -> list[PolicySpec]:
    """The specs in a stable order, as the publisher lists them."""
    return [BUILTIN_SPECS[name] for name in sorted(BUILTIN_SPECS, key=str.lower)]


def render_json() -> str:
    return json.dumps(specs_document(), indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path = JSON_PATH) -> None:
    path.write_text(render_json(), encoding="utf-8")


if __name__ == "__main__":
    write_json()
