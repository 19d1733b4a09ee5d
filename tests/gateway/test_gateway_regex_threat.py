"""regexPolicy on hostile bodies: the scan is linear in the body, whatever the pattern."""

from __future__ import annotations

import time

import pytest

from apim_gateway.policies import PolicyConfigError
from apim_gateway.policies.base import REGISTRY
from tests.gateway.conftest import Harness
from tests.gateway.test_builtin_policies_at_backend import attach, deploy

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
