"""runtime/validation.py: definitions compiled to validators (OpenAPI 3.0 / 3.1, Swagger 2.0)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from apim_gateway.runtime.validation import (
    Invalid,
    OperationValidation,
    compile_validation,
    decoded,
    validate_json,
)


def _oas30(
    operation: dict[str, Any], schemas: dict[str, Any] | None = None, path: str = "/x"
) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {path: {"post": operation}},
        "components": {"schemas": schemas or {}},
    }


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {}}


def _body_validator(operation: OperationValidation) -> Any:
    assert operation.body is not None
    accepted, validator = operation.body.media.match("application/json")
    assert accepted
    return validator


def test_recursive_schema_validates_at_any_depth() -> None:
    node = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    ops = compile_validation(_oas30(_json_body({"$ref": "#/components/schemas/Node"}), {"Node": node}))
    validator = _body_validator(ops[("POST", "/x")])
    validate_json(validator, b'{"name": "a", "kids": [{"name": "b", "kids": [{"name": "c"}]}]}')
    with pytest.raises(Invalid, match=r"\$\.kids\[0\]\.kids\[0\]: \"name\" is a required property"):
        validate_json(validator, b'{"name": "a", "kids": [{"name": "b", "kids": [{}]}]}')


def test_nullable_admits_null_beside_a_reference_and_an_enum() -> None:
    schema = {
        "type": "object",
        "properties": {
            "owner": {"allOf": [{"$ref": "#/components/schemas/Owner"}], "nullable": True},
            "size": {"type": "string", "enum": ["S", "M"], "nullable": True},
            "name": {"type": "string"},
        },
    }
    ops = compile_validation(_oas30(_json_body(schema), {"Owner": {"type": "object"}}))
    validator = _body_validator(ops[("POST", "/x")])
    validate_json(validator, b'{"owner": null, "size": null}')
    with pytest.raises(Invalid, match=r"\$\.name: value is not of type"):
        validate_json(validator, b'{"name": null}')


def test_read_only_is_not_required_in_requests_nor_write_only_in_responses() -> None:
    user = {
        "type": "object",
        "required": ["id", "password", "name"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "password": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    operation = {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
        "responses": {
            "2XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}
        },
    }
    compiled = compile_validation(_oas30(operation, {"User": user}))[("POST", "/x")]
    validate_json(_body_validator(compiled), b'{"password": "p", "name": "n"}')
    response = compiled.response_media(201)
    assert response is not None
    _, validator = response.match("application/json")
    assert validator is not None
    validate_json(validator, b'{"id": 1, "name": "n"}')
    with pytest.raises(Invalid, match='"id" is a required property'):
        validate_json(validator, b'{"name": "n"}')
    assert compiled.response_media(404) is None


def test_query_arrays_follow_style_and_explode() -> None:
    operation = {
        "parameters": [
            {"name": "id", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
            {
                "name": "tag",
                "in": "query",
                "style": "pipeDelimited",
                "explode": False,
                "schema": {"type": "array", "items": {"type": "string", "maxLength": 2}},
            },
        ],
        "responses": {},
    }
    compiled = compile_validation(_oas30(operation))[("POST", "/x")]
    compiled.check_parameters({}, "id=1&id=2&tag=ab|cd", [])
    with pytest.raises(Invalid, match="query parameter 'id': value is not of type \"integer\""):
        compiled.check_parameters({}, "id=1&id=two", [])
    with pytest.raises(Invalid, match="query parameter 'tag'"):
        compiled.check_parameters({}, "tag=ab|cde", [])


def test_swagger_parameters_convert_by_collection_format() -> None:
    definition = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x/{ids}": {
                "get": {
                    "parameters": [
                        {
                            "name": "ids",
                            "in": "path",
                            "required": True,
                            "type": "array",
                            "items": {"type": "integer"},
                        },
                        {"name": "on", "in": "query", "type": "boolean"},
                        {"name": "Accept", "in": "header", "required": True, "type": "string"},
                    ],
                    "responses": {},
                }
            }
        },
    }
    compiled = compile_validation(definition)[("GET", "/x/{ids}")]
    compiled.check_parameters({"ids": "1,2,3"}, "on=true", [])  # Accept is the media type's, ignored
    with pytest.raises(Invalid, match=r"path parameter 'ids'"):
        compiled.check_parameters({"ids": "1,x"}, "", [])
    with pytest.raises(Invalid, match=r"query parameter 'on'"):
        compiled.check_parameters({"ids": "1"}, "on=yes", [])


def test_openapi_3_1_schemas_are_json_schema_2020_12() -> None:
    definition = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {"post": _json_body({"type": "array", "prefixItems": [{"const": "v1"}], "items": False})}
        },
    }
    validator = _body_validator(compile_validation(definition)[("POST", "/x")])
    validate_json(validator, b'["v1"]')
    with pytest.raises(Invalid):
        validate_json(validator, b'["v1", 2]')


def test_pattern_with_lookahead_runs_with_bounded_backtracking() -> None:
    schema = {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]+$"}
    validator = _body_validator(compile_validation(_oas30(_json_body(schema)))[("POST", "/x")])
    validate_json(validator, b'"abc1"')
    with pytest.raises(Invalid, match="does not match"):
        validate_json(validator, b'"abc"')


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("https://example.com/pet.json", "only local references"),
        ("#/components/schemas/Missing/properties/x", "points at nothing"),
    ],
)
def test_references_that_cannot_be_followed_refuse_the_definition(reference: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_validation(_oas30(_json_body({"$ref": reference})))


def test_a_cycle_of_parameter_references_refuses_the_definition() -> None:
    definition = _oas30({"parameters": [{"$ref": "#/components/parameters/A"}], "responses": {}})
    definition["components"]["parameters"] = {
        "A": {"$ref": "#/components/parameters/B"},
        "B": {"$ref": "#/components/parameters/A"},
    }
    with pytest.raises(ValueError, match="cannot be followed"):
        compile_validation(definition)


def test_schemas_nested_beyond_the_bound_refuse_the_definition() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(100):
        schema = {"type": "object", "properties": {"a": schema}}
    with pytest.raises(ValueError, match="too deeply nested"):
        compile_validation(_oas30(_json_body(schema)))


def test_a_definition_that_is_not_openapi_is_refused() -> None:
    with pytest.raises(ValueError, match="neither OpenAPI"):
        compile_validation({"asyncapi": "2.6.0"})
    with pytest.raises(ValueError, match="has none"):
        compile_validation(None)


def test_gzip_bodies_are_validated_decoded_and_bounded() -> None:
    assert decoded(gzip.compress(b'{"a": 1}'), "gzip", 100) == b'{"a": 1}'
    with pytest.raises(Invalid, match="larger than the 100 bytes"):
        decoded(gzip.compress(b"0" * 10_000), "gzip", 100)
    with pytest.raises(Invalid, match="cannot be validated"):
        decoded(b"...", "br", 100)


def test_errors_name_the_place_not_the_value() -> None:
    validator = _body_validator(
        compile_validation(_oas30(_json_body({"type": "object", "properties": {"s": {"type": "integer"}}})))[
            ("POST", "/x")
        ]
    )
    with pytest.raises(Invalid) as failed:
        validate_json(validator, b'{"s": "secret-value"}')
    assert "secret-value" not in str(failed.value)
    assert str(failed.value) == '$.s: value is not of type "integer"'


def test_openapi_3_1_reference_into_a_component_is_followed() -> None:
    definition = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": _json_body({"$ref": "#/components/schemas/Pet/properties/age"})}},
        "components": {"schemas": {"Pet": {"type": "object", "properties": {"age": {"type": "integer"}}}}},
    }
    validator = _body_validator(compile_validation(definition)[("POST", "/x")])
    validate_json(validator, b"3")
    with pytest.raises(Invalid, match="not of type"):
        validate_json(validator, b'"three"')
