"""The shared policy-spec rules: parameters, flows and user-written specs."""

from __future__ import annotations

from apim_common.policy_specs import (
    PolicySpec,
    check_flow,
    check_spec,
    normalise_spec,
    resolve_parameters,
    validate_parameters,
)

SPEC: PolicySpec = normalise_spec(
    {
        "name": "addTraceHeader",
        "applicableFlows": ["request", "response"],
        "policyAttributes": [
            {"name": "headerName", "required": True, "validationRegex": "^[A-Za-z-]+$"},
            {"name": "ttl", "type": "Integer", "defaultValue": "30"},
            {"name": "mode", "type": "Enum", "allowedValues": ["fast", "safe"]},
            {"name": "verbose", "type": "Boolean"},
        ],
    }
)


def test_a_missing_required_attribute_is_named() -> None:
    assert validate_parameters(SPEC, {}) == ["headerName: required"]


def test_a_value_failing_the_regex_is_named() -> None:
    errors = validate_parameters(SPEC, {"headerName": "bad header"})
    assert len(errors) == 1
    assert errors[0].startswith("headerName:")


def test_dollar_ends_the_value_even_before_a_newline() -> None:
    assert validate_parameters(SPEC, {"headerName": "X-Trace\n"})


def test_types_and_allowed_values_are_checked() -> None:
    errors = validate_parameters(SPEC, {"headerName": "X", "ttl": "soon", "mode": "slow", "verbose": "maybe"})
    assert [e.split(":")[0] for e in errors] == ["ttl", "mode", "verbose"]


def test_resolution_types_values_and_fills_defaults() -> None:
    resolved = resolve_parameters(SPEC, {"headerName": "X-Trace", "verbose": "true"})
    assert resolved == {"headerName": "X-Trace", "ttl": 30, "mode": None, "verbose": True}


def test_a_flow_outside_the_spec_and_a_second_copy_are_refused() -> None:
    assert check_flow(SPEC, "request", 1) == []
    assert "fault" in check_flow(SPEC, "fault", 1)[0]
    assert "only once" in check_flow(SPEC, "request", 2)[0]


def test_a_user_spec_with_unknown_flow_type_and_bad_regex_is_refused() -> None:
    errors = check_spec(
        {
            "name": "x",
            "applicableFlows": ["inbound"],
            "policyAttributes": [{"name": "a", "type": "Float", "validationRegex": "("}],
        }
    )
    assert [e.split(":")[0] for e in errors] == [
        "applicableFlows",
        "policyAttributes[0].type",
        "policyAttributes[0].validationRegex",
    ]


REGEX_SPEC: PolicySpec = normalise_spec(
    {
        "name": "threats",
        "applicableFlows": ["request"],
        "policyAttributes": [{"name": "pattern", "type": "Regex", "required": True}],
    }
)


def test_a_regex_attribute_re2_can_run_is_accepted() -> None:
    assert check_spec(REGEX_SPEC) == []
    assert validate_parameters(REGEX_SPEC, {"pattern": r".*'.*|.*DROP.*|<\s*script\b[^>]*>"}) == []


def test_a_regex_attribute_with_a_backtracking_construct_is_refused_naming_it() -> None:
    # Look-arounds and back-references need a backtracking engine, which a body can stall.
    for pattern in (r"(?=a)b", r"(a)\1", r"(?<!x)y"):
        errors = validate_parameters(REGEX_SPEC, {"pattern": pattern})
        assert len(errors) == 1
        assert errors[0].startswith("pattern: not a regular expression the gateway can run in linear time")


def test_a_json_attribute_holding_a_schema_pattern_re2_cannot_run_is_refused_naming_it() -> None:
    spec = normalise_spec(
        {
            "name": "schema",
            "applicableFlows": ["request"],
            "policyAttributes": [{"name": "s", "type": "JSON"}],
        }
    )
    nested = {"properties": {"a": {"items": [{"pattern": r"(\d)\1"}]}}}
    assert validate_parameters(spec, {"s": nested})[0].startswith("s: the pattern")
    assert validate_parameters(spec, {"s": {"patternProperties": {"(?<=x)y": {}}}})[0].startswith("s:")
    assert validate_parameters(spec, {"s": '{"pattern": "^[a-z]+$"}'}) == []


def test_a_regex_attribute_holding_a_lone_surrogate_is_refused_not_a_crash() -> None:
    errors = validate_parameters(REGEX_SPEC, {"pattern": "\ud800"})
    assert errors == ["pattern: not a regular expression: it holds characters UTF-8 cannot encode"]
