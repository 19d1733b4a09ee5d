"""The security built-ins on a hand-made Exchange: JSON checks, regex threats, claims, CORS, backend JWT."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apim_gateway.context import AuthContext, Exchange, GatewayRequest, GatewayResponse, Headers, header
from apim_gateway.policies import Policy, PolicyRefusal, Reply
from apim_gateway.policies.base import REGISTRY, PolicyConfigError


def policy(name: str, **parameters: Any) -> Policy:
    return REGISTRY[name](parameters)


def exchange(
    method: str = "POST",
    path: str = "/orders",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | None = None,
    claims: dict[str, Any] | None = None,
    response: GatewayResponse | None = None,
) -> Exchange:
    request = GatewayRequest(method, path, query, headers if headers is not None else [], "10.0.0.1", body)
    return Exchange(
        request,
        "carbon.super",
        "api-1",
        "/shop",
        "1.0.0",
        "/orders",
        auth=AuthContext(claims=claims or {}, auth_type="oauth2"),
        response=response,
    )


def json_request(document: Any) -> Exchange:
    return exchange(headers=[("content-type", "application/json")], body=json.dumps(document).encode())


async def refused(p: Policy, ex: Exchange) -> PolicyRefusal:
    with pytest.raises(PolicyRefusal) as caught:
        await p.on_request(ex)
    return caught.value


# ---- jsonValidator

SCHEMA = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
}


async def test_json_validator_passes_a_body_that_satisfies_the_schema() -> None:
    p = policy("jsonValidator", jsonSchema=json.dumps(SCHEMA))
    assert await p.on_request(json_request({"id": 1, "tags": ["a"]})) is None


async def test_json_validator_refuses_a_body_that_breaks_the_schema_saying_where() -> None:
    p = policy("jsonValidator", jsonSchema=SCHEMA)
    error = await refused(p, json_request({"id": 1, "tags": ["a", 2]}))
    assert (error.status, error.code, error.message) == (400, "400", "Bad Request")
    assert "/tags/1" in error.description


async def test_json_validator_refuses_a_body_that_is_not_json() -> None:
    p = policy("jsonValidator", maxJSONDepth="5")
    error = await refused(p, exchange(headers=[("content-type", "application/json")], body=b"{nope"))
    assert "not valid JSON" in error.description


@pytest.mark.parametrize(
    ("limit", "value", "bad", "good"),
    [
        ("maxJSONDepth", "3", {"a": {"b": {"c": {}}}}, {"a": {"b": {"c": 1}}}),
        ("maxStringLength", "5", {"a": "toolong"}, {"a": "short"}),
        ("maxArrayElementCount", "2", {"a": [1, 2, 3]}, {"a": [1, 2]}),
        ("maxPropertyCount", "2", {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": {"c": 1, "d": 2}}),
        ("maxKeyLength", "3", {"abcd": 1}, {"abc": 1}),
    ],
)
async def test_json_validator_enforces_each_wso2_limit(limit: str, value: str, bad: Any, good: Any) -> None:
    p = policy("jsonValidator", **{limit: value})
    assert await p.on_request(json_request(good)) is None
    error = await refused(p, json_request(bad))
    assert error.description.startswith("JSON threat detected")


async def test_json_validator_refuses_a_body_too_deep_for_the_parser() -> None:
    p = policy("jsonValidator", maxJSONDepth="1000000")
    body = b"[" * 200_000 + b"]" * 200_000
    error = await refused(p, exchange(headers=[("content-type", "application/json")], body=body))
    assert error.status == 400


async def test_json_validator_ignores_bodies_of_other_media_types() -> None:
    p = policy("jsonValidator", jsonSchema=SCHEMA)
    assert await p.on_request(exchange(headers=[("content-type", "text/plain")], body=b"{}")) is None


async def test_json_validator_fails_an_invalid_response_with_500() -> None:
    p = policy("jsonValidator", jsonSchema=SCHEMA)
    response = GatewayResponse(200, [("content-type", "application/json")], b'{"id": "x"}')
    with pytest.raises(PolicyRefusal) as caught:
        await p.on_response(exchange(response=response))
    assert caught.value.status == 500


# ---- regexPolicy

SQL = r".*'.*|.*ALTER.*|.*DROP TABLE.*|.*SELECT.*"


async def test_regex_policy_passes_a_clean_request() -> None:
    p = policy("regexPolicy", regex=SQL)
    ex = exchange(path="/orders/7", query="q=shoes", headers=[("x-a", "fine")], body=b'{"name": "shoes"}')
    assert await p.on_request(ex) is None


@pytest.mark.parametrize(
    ("where", "ex"),
    [
        ("HTTP Headers", exchange(headers=[("x-filter", "1 OR drop table users")])),
        ("Resource Path", exchange(path="/orders/%27%20or%201=1")),
        ("Query Parameters", exchange(query="q=x%27+or+1%3D1")),
        ("Payload", exchange(body=b'{"name": "x\'; select * from users"}')),
    ],
)
async def test_regex_policy_refuses_a_threat_in_each_part_with_wso2s_fault(where: str, ex: Exchange) -> None:
    error = await refused(policy("regexPolicy", regex=SQL, threatType="SQL-Injection"), ex)
    assert (error.status, error.code, error.message) == (400, "400", "Bad Request")
    assert error.description == f"SQL-Injection Threat detected in {where}"


async def test_regex_policy_skips_parts_whose_check_is_disabled() -> None:
    p = policy(
        "regexPolicy",
        regex=SQL,
        enabledCheckHeaders="false",
        enabledCheckPathParams="false",
        enabledCheckBody="false",
    )
    ex = exchange(path="/'", query="a='", headers=[("x", "'")], body=b"'")
    assert await p.on_request(ex) is None
    assert p.needs_request_body is False


async def test_regex_policy_reads_an_unbuffered_body_through_the_exchange() -> None:
    ex = exchange()

    async def read() -> bytes:
        return b"ALTER USER admin"

    ex.read_request_body = read
    error = await refused(policy("regexPolicy", regex=SQL), ex)
    assert error.description.endswith("Payload")


# ---- jwtClaimBasedAccessValidator


def claim_policy(**extra: str) -> Policy:
    return policy("jwtClaimBasedAccessValidator", accessVerificationClaim="aut", **extra)


async def test_claim_validator_allows_a_matching_claim() -> None:
    p = claim_policy(accessVerificationClaimValue="APPLICATION")
    assert await p.on_request(exchange(claims={"aut": "APPLICATION"})) is None


async def test_claim_validator_refuses_a_different_value_with_900912() -> None:
    p = claim_policy(accessVerificationClaimValue="APPLICATION")
    error = await refused(p, exchange(claims={"aut": "APPLICATION_USER"}))
    assert (error.status, error.code, error.message) == (403, "900912", "Claim Mismatch")


async def test_claim_validator_refuses_a_missing_claim_with_900913() -> None:
    p = claim_policy(accessVerificationClaimValue="APPLICATION")
    error = await refused(p, exchange(claims={"sub": "bob"}))
    assert (error.status, error.code) == (403, "900913")
    assert '"aut"' in error.description


async def test_claim_validator_matches_any_value_of_a_list_claim() -> None:
    p = policy(
        "jwtClaimBasedAccessValidator", accessVerificationClaim="roles", accessVerificationClaimValue="admin"
    )
    assert await p.on_request(exchange(claims={"roles": ["Internal/everyone", "admin"]})) is None
    await refused(p, exchange(claims={"roles": ["Internal/everyone"]}))


async def test_claim_validator_with_a_regex_needs_both_values_to_match_it() -> None:
    p = claim_policy(
        accessVerificationClaimValue="APPLICATION", accessVerificationClaimValueRegex="^[A-Z_]+$"
    )
    assert await p.on_request(exchange(claims={"aut": "APPLICATION_USER"})) is None
    await refused(p, exchange(claims={"aut": "application"}))
    never = claim_policy(accessVerificationClaimValue="lower", accessVerificationClaimValueRegex="^[A-Z]+$")
    await refused(never, exchange(claims={"aut": "UPPER"}))


async def test_claim_validator_as_a_deny_rule_refuses_only_matching_callers() -> None:
    p = claim_policy(accessVerificationClaimValue="APPLICATION", shouldAllowValidation="false")
    assert await p.on_request(exchange(claims={"aut": "APPLICATION_USER"})) is None
    error = await refused(p, exchange(claims={"aut": "APPLICATION"}))
    assert error.code == "900912"


# ---- CORS


def preflight(origin: str = "https://app.example.com", requested_headers: str = "content-type") -> Exchange:
    return exchange(
        method="OPTIONS",
        headers=[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", requested_headers),
        ],
    )


async def test_cors_answers_a_preflight_for_an_allowed_origin() -> None:
    p = policy(
        "CORS",
        accessControlAllowOrigins="https://app.example.com, https://admin.example.com",
        accessControlAllowMethods="get,post",
        accessControlAllowHeaders="authorization,content-type",
        accessControlMaxAge="600",
    )
    reply = await p.on_request(preflight())
    assert isinstance(reply, Reply)
    assert reply.status == 204
    assert dict(reply.headers) == {
        "access-control-allow-origin": "https://app.example.com",
        "vary": "Origin",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "authorization,content-type",
        "access-control-max-age": "600",
    }


async def test_cors_answers_a_preflight_from_a_disallowed_origin_without_allow_headers() -> None:
    p = policy("CORS", accessControlAllowOrigins="https://app.example.com")
    reply = await p.on_request(preflight(origin="https://evil.example.net"))
    assert isinstance(reply, Reply)
    assert not [k for k, _ in reply.headers if k.startswith("access-control-")]


async def test_cors_lets_plain_options_and_other_methods_through() -> None:
    p = policy("CORS")
    assert await p.on_request(exchange(method="OPTIONS", headers=[("origin", "https://a.example")])) is None
    assert await p.on_request(exchange(method="GET", headers=[("origin", "https://a.example")])) is None


async def test_cors_adds_allow_origin_and_exposed_headers_to_responses() -> None:
    p = policy("CORS", accessControlExposeHeaders="x-request-id")
    ex = exchange(method="GET", headers=[("origin", "https://a.example")], response=GatewayResponse(200, []))
    await p.on_response(ex)
    assert ex.response is not None
    assert header(ex.response.headers, "access-control-allow-origin") == "*"
    assert header(ex.response.headers, "access-control-expose-headers") == "x-request-id"


async def test_cors_with_credentials_echoes_an_allowed_origin_and_allows_credentials() -> None:
    p = policy("CORS", accessControlAllowOrigins="https://a.example", accessControlAllowCredentials="true")
    ex = exchange(
        method="GET",
        headers=[("origin", "https://a.example")],
        response=GatewayResponse(200, [("vary", "Accept-Encoding")]),
    )
    await p.on_response(ex)
    assert ex.response is not None
    assert header(ex.response.headers, "access-control-allow-origin") == "https://a.example"
    assert header(ex.response.headers, "access-control-allow-credentials") == "true"
    assert header(ex.response.headers, "vary") == "Accept-Encoding, Origin"


def test_cors_refuses_credentials_with_any_origin_when_deployed() -> None:
    with pytest.raises(PolicyConfigError, match="accessControlAllowCredentials"):
        policy("CORS", accessControlAllowOrigins="*", accessControlAllowCredentials="true")


async def test_cors_adds_nothing_for_a_request_without_origin_or_from_a_disallowed_one() -> None:
    p = policy("CORS", accessControlAllowOrigins="https://app.example.com")
    for headers in ([], [("origin", "https://other.example")]):
        ex = exchange(method="GET", headers=headers, response=GatewayResponse(200, []))
        await p.on_response(ex)
        assert ex.response is not None
        assert ex.response.headers == []


async def test_cors_with_wildcard_allowed_headers_echoes_the_requested_ones() -> None:
    p = policy("CORS", accessControlAllowHeaders="*")
    reply = await p.on_request(preflight(requested_headers="x-custom, content-type"))
    assert isinstance(reply, Reply)
    assert dict(reply.headers)["access-control-allow-headers"] == "x-custom, content-type"


# ---- backEndJWT


async def test_backend_jwt_marks_the_exchange_with_its_settings() -> None:
    p = policy("backEndJWT", header="X-Backend-JWT", tokenTTL="60", enableUserClaims="true")
    ex = exchange(headers=[("x-backend-jwt", "forged-by-client")])
    assert await p.on_request(ex) is None
    assert ex.variables["backend_jwt"] == {
        "header": "x-backend-jwt",
        "signingAlgorithm": "RS256",
        "tokenTTL": 60,
        "enableUserClaims": True,
    }
    assert header(ex.request.headers, "x-backend-jwt") is None


async def test_backend_jwt_defaults_to_wso2s_header_and_ttl() -> None:
    ex = exchange()
    await policy("backEndJWT").on_request(ex)
    assert ex.variables["backend_jwt"]["header"] == "x-jwt-assertion"
    assert ex.variables["backend_jwt"]["tokenTTL"] == 900
