"""The mock answers compiled from a definition, without a gateway: negotiation and preferences."""

from __future__ import annotations

import pytest

from apim_gateway.backends.mock import INLINE, MOCKED_OAS, Mocks
from apim_gateway.errors import GatewayError

DEFINITION = {
    "openapi": "3.1.0",
    "info": {"title": "Pizza", "version": "1"},
    "paths": {
        "/menu": {
            "get": {
                "x-static-response": {"body": "static"},
                "responses": {
                    "2XX": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"examples": ["Margherita"]}}
                            },
                            "text/plain": {"example": "Margherita"},
                        },
                    },
                    "default": {
                        "description": "error",
                        "content": {"application/problem+json": {"example": {"e": 1}}},
                    },
                },
            }
        },
        "/empty": {"delete": {"responses": {"204": {"description": "gone"}}}},
    },
}


def _answer(
    verb: str, target: str, *headers: tuple[str, str], implementation: str = MOCKED_OAS
) -> tuple[int, dict[str, str], bytes]:
    response = Mocks(DEFINITION, implementation).operation(verb, target).answer(list(headers))
    return response.status, dict(response.headers), response.body or b""


def test_a_range_status_and_a_schema_with_json_schema_examples_make_an_answer() -> None:
    status, headers, body = _answer("GET", "/menu")
    assert (status, headers["content-type"], body) == (200, "application/json", b'["Margherita"]')


def test_a_zero_quality_media_type_is_never_chosen() -> None:
    _, headers, body = _answer("GET", "/menu", ("accept", "application/json;q=0, */*;q=0.1"))
    assert (headers["content-type"], body) == ("text/plain", b"Margherita")


def test_the_default_response_answers_any_other_status_asked_for() -> None:
    status, headers, body = _answer("GET", "/menu", ("prefer", "code=503"))
    assert (status, headers["content-type"], body) == (503, "application/problem+json", b'{"e": 1}')


def test_a_response_without_content_ignores_accept() -> None:
    status, headers, body = _answer("DELETE", "/empty", ("accept", "text/csv"))
    assert (status, body) == (204, b"")
    assert "content-type" not in headers


def test_an_operation_the_definition_lacks_answers_501() -> None:
    with pytest.raises(GatewayError) as raised:
        _answer("GET", "/nowhere")
    assert raised.value.status == 501


def test_a_prefer_code_that_is_no_status_is_refused() -> None:
    with pytest.raises(GatewayError) as raised:
        _answer("GET", "/menu", ("prefer", "code=abc"))
    assert raised.value.status == 400


def test_an_inline_string_body_is_plain_text_and_mocked_oas_ignores_the_extension() -> None:
    assert _answer("GET", "/menu", implementation=INLINE) == (200, {"content-type": "text/plain"}, b"static")
    assert _answer("GET", "/menu")[2] == b'["Margherita"]'
