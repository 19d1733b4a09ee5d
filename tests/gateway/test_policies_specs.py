"""Policy specs: the shipped JSON, the parameter rules, and construction refusing bad parameters."""

from __future__ import annotations

import json

import pytest

from apim_gateway.policies import PolicyConfigError
from apim_gateway.policies.base import REGISTRY
from apim_gateway.policies.specs import (
    BUILTIN_SPECS,
    JSON_PATH,
    render_json,
    resolve_parameters,
    validate_parameters,
)

SPEC_KEYS = {
    "category",
    "name",
    "displayName",
    "description",
    "version",
    "multipleAllowed",
    "applicableFlows",
    "supportedApiTypes",
    "policyAttributes",
}
ATTRIBUTE_KEYS = {
    "name",
    "displayName",
    "description",
    "type",
    "required",
    "defaultValue",
    "validationRegex",
    "allowedValues",
}
WSO2_NAMES = {
    "addHeader",
    "removeHeader",
    "rewriteResourcePath",
    "changeHTTPMethod",
    "addQueryParam",
    "jsonToXML",
    "xmlToJson",
    "jsonValidator",
    "regexPolicy",
    "addLogMessage",
    "jwtClaimBasedAccessValidator",
    "backEndJWT",
    "mirrorRequest",
    "redirectRequest",
    "callInterceptorService",
    "CORS",
    "jsonFault",
}


def test_the_shipped_json_file_is_what_specs_py_produces() -> None:
    assert JSON_PATH.read_text(encoding="utf-8") == render_json()


# Built-ins WSO2 does not have (added, never renamed): Kong's request-size-limiting.
ADDED_NAMES = {"requestSizeLimit"}


def test_every_builtin_has_a_spec_and_a_registered_class() -> None:
    assert set(BUILTIN_SPECS) == WSO2_NAMES | ADDED_NAMES
    assert set(REGISTRY) >= WSO2_NAMES | ADDED_NAMES
    for name in WSO2_NAMES | ADDED_NAMES:
        assert REGISTRY[name].applicable_flows == tuple(BUILTIN_SPECS[name]["applicableFlows"])


def test_specs_are_in_wso2_format_with_known_types_and_flows() -> None:
    for spec in json.loads(render_json()):
        assert set(spec) == SPEC_KEYS
        assert spec["version"] == "v1"
        assert spec["supportedApiTypes"] == ["HTTP"]
        assert set(spec["applicableFlows"]) <= {"request", "response", "fault"}
        for attribute in spec["policyAttributes"]:
            assert set(attribute) == ATTRIBUTE_KEYS
            assert attribute["type"] in {"String", "Integer", "Boolean", "Enum", "JSON", "Regex"}
            if attribute["type"] == "Enum":
                assert attribute["allowedValues"]


def test_a_missing_required_attribute_is_named() -> None:
    assert validate_parameters(BUILTIN_SPECS["addHeader"], {"headerValue": "v"}) == ["headerName: required"]


def test_an_empty_string_counts_as_missing_for_a_required_attribute() -> None:
    errors = validate_parameters(BUILTIN_SPECS["addHeader"], {"headerName": "", "headerValue": "v"})
    assert errors == ["headerName: required"]


def test_a_value_not_matching_the_validation_regex_is_named() -> None:
    errors = validate_parameters(BUILTIN_SPECS["addHeader"], {"headerName": "bad name", "headerValue": "v"})
    assert len(errors) == 1
    assert errors[0].startswith("headerName:")
    assert "does not match" in errors[0]


def test_a_header_value_with_a_newline_is_refused() -> None:
    errors = validate_parameters(BUILTIN_SPECS["addHeader"], {"headerName": "x", "headerValue": "a\r\nb: c"})
    assert [e.split(":")[0] for e in errors] == ["headerValue"]


def test_a_trailing_newline_does_not_slip_past_an_end_anchor() -> None:
    errors = validate_parameters(BUILTIN_SPECS["addHeader"], {"headerName": "x-a\n", "headerValue": "v\n"})
    assert sorted(e.split(":")[0] for e in errors) == ["headerName", "headerValue"]


def test_a_validation_regex_written_as_a_javascript_literal_keeps_its_flags() -> None:
    spec = {**BUILTIN_SPECS["removeHeader"]}
    spec["policyAttributes"] = [
        {**BUILTIN_SPECS["removeHeader"]["policyAttributes"][0], "validationRegex": "/^[a-z]{0,5}$/i"}
    ]
    assert validate_parameters(spec, {"headerName": "ABC"}) == []
    assert validate_parameters(spec, {"headerName": "ABCDEFG"}) != []


def test_an_enum_value_outside_allowed_values_is_named() -> None:
    errors = validate_parameters(BUILTIN_SPECS["changeHTTPMethod"], {"updatedMethod": "FETCH"})
    assert len(errors) == 1
    assert errors[0].startswith("updatedMethod:")
    assert "not one of" in errors[0]


def test_wrong_types_are_named_per_attribute() -> None:
    spec = BUILTIN_SPECS["jsonValidator"]
    errors = validate_parameters(spec, {"maxJSONDepth": "deep", "jsonSchema": "{not json"})
    assert sorted(e.split(":")[0] for e in errors) == ["jsonSchema", "maxJSONDepth"]
    errors = validate_parameters(BUILTIN_SPECS["regexPolicy"], {"regex": "x", "enabledCheckBody": "maybe"})
    assert [e.split(":")[0] for e in errors] == ["enabledCheckBody"]


def test_string_forms_of_booleans_integers_and_json_are_accepted_and_typed() -> None:
    spec = BUILTIN_SPECS["jsonValidator"]
    params = {"maxJSONDepth": "3", "jsonSchema": '{"type": "object"}'}
    assert validate_parameters(spec, params) == []
    values = resolve_parameters(spec, params)
    assert values["maxJSONDepth"] == 3
    assert values["jsonSchema"] == {"type": "object"}
    assert values["maxStringLength"] is None


def test_defaults_fill_unset_attributes() -> None:
    values = resolve_parameters(BUILTIN_SPECS["rewriteResourcePath"], {"newResourcePath": "/x"})
    assert values["includeQueryParams"] is True


def test_constructing_a_policy_with_bad_parameters_raises_naming_the_attribute() -> None:
    with pytest.raises(PolicyConfigError, match=r"addHeader: headerName: required"):
        REGISTRY["addHeader"]({"headerValue": "v"})


@pytest.mark.parametrize(
    ("name", "parameters", "attribute"),
    [
        ("regexPolicy", {"regex": "(unclosed"}, "regex"),
        (
            "jwtClaimBasedAccessValidator",
            {
                "accessVerificationClaim": "aut",
                "accessVerificationClaimValue": "x",
                "accessVerificationClaimValueRegex": "[",
            },
            "accessVerificationClaimValueRegex",
        ),
        ("jsonValidator", {"jsonSchema": '{"type": 12}'}, "jsonSchema"),
        ("mirrorRequest", {"url": "ftp://example.org/x"}, "url"),
        ("redirectRequest", {"url": "http://host:99999/"}, "url"),
        (
            "callInterceptorService",
            {"interceptorServiceURL": "http://i", "includes": "request_body,nope"},
            "includes",
        ),
        ("callInterceptorService", {"interceptorServiceURL": "not a url"}, "interceptorServiceURL"),
        ("CORS", {"accessControlAllowOrigins": " , "}, "accessControlAllowOrigins"),
        ("backEndJWT", {"tokenTTL": "0"}, "tokenTTL"),
        ("rewriteResourcePath", {"newResourcePath": "no-slash"}, "newResourcePath"),
    ],
)
def test_semantic_parameter_errors_are_raised_at_construction(
    name: str, parameters: dict[str, str], attribute: str
) -> None:
    with pytest.raises(PolicyConfigError, match=rf"{name}: {attribute}:"):
        REGISTRY[name](parameters)
