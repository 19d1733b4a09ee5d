"""Patterns the gateway runs on what callers send (regexPolicy, JSON-schema patterns, claim
patterns): linear in the text, whatever the pattern, so no request can stall the event loop."""

from __future__ import annotations

import time

import pytest

from apim_gateway.policies import PolicyConfigError
from apim_gateway.policies.base import REGISTRY
from apim_gateway.policies.builtin.json_validator import JsonValidator
from tests.gateway.conftest import Harness
from tests.gateway.test_builtin_policies_at_backend import attach, deploy
from tests.gateway.test_policies_security import exchange, refused

# WSO2's documented SQL-injection pattern: quadratic backtracking under a backtracking engine
# (12.8 s on a clean 16 KiB body with Python's re).
WSO2_SQL = (
    r".*'.*|.*ALTER.*|.*ALTER TABLE.*|.*ALTER VIEW.*|.*CREATE DATABASE.*|.*CREATE PROCEDURE.*|"
    r".*CREATE SCHEMA.*|.*create table.*|.*CREATE VIEW.*|.*DELETE.*|.*DROP DATABASE.*|"
    r".*DROP PROCEDURE.*|.*DROP.*|.*SELECT.*"
)
CLEAN_16_KIB = b'{"note": "' + b"a" * (16 * 1024) + b'"}'


def sql_protected(harness: Harness) -> None:
    deploy(harness, [attach("regexPolicy", regex=WSO2_SQL, threatType="SQL-Injection")])


async def test_wso2s_sql_pattern_passes_a_clean_16_kib_body_quickly(harness: Harness) -> None:
    sql_protected(harness)
    started = time.monotonic()
    r = await harness.client.post("/pets/1.0.0/echo/1", headers=harness.bearer(), content=CLEAN_16_KIB)
    assert time.monotonic() - started < 2.0
    assert r.status_code == 200, r.text
    assert r.json()["body"] == CLEAN_16_KIB.decode()


async def test_wso2s_sql_pattern_finds_a_threat_at_the_end_of_a_16_kib_body_quickly(harness: Harness) -> None:
    sql_protected(harness)
    started = time.monotonic()
    body = CLEAN_16_KIB[:-2] + b' drop table users"}'
    r = await harness.client.post("/pets/1.0.0/echo/1", headers=harness.bearer(), content=body)
    assert time.monotonic() - started < 2.0
    assert r.status_code == 400
    assert r.json()["description"] == "SQL-Injection Threat detected in Payload"


async def test_a_large_body_is_scanned_and_its_threat_found(harness: Harness) -> None:
    sql_protected(harness)
    body = b'{"note": "' + b"a" * (2 * 1024 * 1024) + b'", "q": "SELECT 1"}'
    r = await harness.client.post("/pets/1.0.0/echo/1", headers=harness.bearer(), content=body)
    assert r.status_code == 400
    assert r.json()["description"].endswith("Payload")


def test_a_pattern_re2_cannot_run_is_refused_when_the_revision_is_compiled() -> None:
    with pytest.raises(PolicyConfigError, match="regex: not a regular expression"):
        REGISTRY["regexPolicy"]({"regex": r"(?=.*drop).*"})


# A JSON-schema pattern that backtracks exponentially under Python's re: 28 word characters and
# a '!' take about a minute there.
NAME_PATTERN = r"^(\w+\s?)*$"
NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "pattern": NAME_PATTERN}}}


async def test_a_json_schema_pattern_refuses_a_crafted_string_quickly(harness: Harness) -> None:
    deploy(harness, [attach("jsonValidator", jsonSchema=NAME_SCHEMA)])
    started = time.monotonic()
    body = b'{"name": "' + b"a" * 28 + b'!"}'
    r = await harness.client.post("/pets/1.0.0/echo/1", headers=harness.bearer(), content=body)
    assert time.monotonic() - started < 2.0
    assert r.status_code == 400
    assert "does not match" in r.json()["description"]


async def test_a_json_schema_pattern_still_passes_a_matching_string(harness: Harness) -> None:
    deploy(harness, [attach("jsonValidator", jsonSchema=NAME_SCHEMA)])
    r = await harness.client.post(
        "/pets/1.0.0/echo/1", headers=harness.bearer(), content=b'{"name": "ada lovelace"}'
    )
    assert r.status_code == 200, r.text


def test_pattern_properties_and_additional_properties_run_on_re2() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x-(a+)+$": {"type": "integer"}},
        "additionalProperties": False,
    }
    validator = JsonValidator({"jsonSchema": schema})
    hostile = '{"x-' + "a" * 40 + '!": 1}'
    started = time.monotonic()
    reason = validator.problem(hostile.encode())
    assert time.monotonic() - started < 2.0
    assert reason is not None
    assert "does not match any of the regexes" in reason
    assert validator.problem(b'{"x-aa": 1}') is None
    assert "integer" in (validator.problem(b'{"x-aa": "one"}') or "")


def test_a_json_schema_pattern_re2_cannot_run_is_refused_when_the_revision_is_compiled() -> None:
    schema = {"type": "string", "pattern": r"^(?!admin).*$"}
    with pytest.raises(PolicyConfigError, match="jsonSchema: the pattern"):
        REGISTRY["jsonValidator"]({"jsonSchema": schema})


async def test_a_claim_pattern_checks_a_crafted_claim_value_quickly() -> None:
    # Under Python's re, ^(a+)+$ on 40 a's and a '!' backtracks for hours.
    policy = REGISTRY["jwtClaimBasedAccessValidator"](
        {
            "accessVerificationClaim": "nickname",
            "accessVerificationClaimValue": "aaa",
            "accessVerificationClaimValueRegex": "^(a+)+$",
        }
    )
    started = time.monotonic()
    error = await refused(policy, exchange(claims={"nickname": "a" * 40 + "!"}))
    assert time.monotonic() - started < 2.0
    assert (error.status, error.code) == (403, "900912")
    assert await policy.on_request(exchange(claims={"nickname": "aaaa"})) is None


def test_a_claim_pattern_re2_cannot_run_is_refused_naming_the_parameter() -> None:
    with pytest.raises(PolicyConfigError, match="accessVerificationClaimValueRegex"):
        REGISTRY["jwtClaimBasedAccessValidator"](
            {
                "accessVerificationClaim": "sub",
                "accessVerificationClaimValue": "alice",
                "accessVerificationClaimValueRegex": "(?!admin).*",
            }
        )


async def test_a_lone_surrogate_in_a_json_string_fails_its_pattern_not_a_500(
    harness: Harness,
) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}
    deploy(harness, [attach("jsonValidator", jsonSchema=schema)])
    r = await harness.client.post(
        "/pets/1.0.0/echo/1", headers=harness.bearer(), content=b'{"name": "\\ud800"}'
    )
    assert r.status_code == 400, r.text
    assert "does not match" in r.json()["description"]


async def test_a_lone_surrogate_in_a_claim_is_a_claim_mismatch_not_a_500() -> None:
    policy = REGISTRY["jwtClaimBasedAccessValidator"](
        {
            "accessVerificationClaim": "nickname",
            "accessVerificationClaimValue": "ada",
            "accessVerificationClaimValueRegex": "^[a-z]+$",
        }
    )
    error = await refused(policy, exchange(claims={"nickname": "\ud800"}))
    assert (error.status, error.code) == (403, "900912")
