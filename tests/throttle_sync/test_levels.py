"""Throttle levels: counter keys, WSO2 codes, windows and rate-limit headers."""

from __future__ import annotations

import pytest

from apim_gateway.throttling import (
    ThrottleLevel,
    api_key,
    application_key,
    backend_key,
    custom_key,
    rate_limit_headers,
    resource_key,
    subscription_key,
    throttle_error,
    window_seconds,
)


@pytest.mark.parametrize(
    ("unit", "unit_time", "seconds"),
    [("sec", 1, 1), ("min", 1, 60), ("min", 5, 300), ("hour", 2, 7200), ("day", 1, 86400), ("SECOND", 1, 1)],
)
def test_a_tier_unit_maps_to_its_window_in_seconds(unit: str, unit_time: int, seconds: int) -> None:
    assert window_seconds(unit, unit_time) == seconds


def test_an_unknown_time_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time unit"):
        window_seconds("fortnight")


@pytest.mark.parametrize(
    ("level", "status", "code"),
    [
        (ThrottleLevel.API, 429, "900800"),
        (ThrottleLevel.RESOURCE, 429, "900802"),
        (ThrottleLevel.APPLICATION, 429, "900803"),
        (ThrottleLevel.SUBSCRIPTION, 429, "900804"),
        (ThrottleLevel.CUSTOM, 429, "900806"),
        (ThrottleLevel.SUBSCRIPTION_BURST, 429, "900807"),
        (ThrottleLevel.APPLICATION_BURST, 429, "900809"),
        (ThrottleLevel.BACKEND, 503, "900801"),
    ],
)
def test_each_level_answers_with_its_wso2_code(level: ThrottleLevel, status: int, code: str) -> None:
    error = throttle_error(level)
    assert (error.status, error.code) == (status, code)


def test_every_level_has_its_own_counter_for_the_same_caller() -> None:
    keys = {
        api_key("t", "api"),
        api_key("t", "api", conditional_group=1),
        resource_key("t", "api", "get", "/pets"),
        subscription_key("t", "app", "api"),
        subscription_key("t", "app", "api", burst=True),
        application_key("t", "app", "bob"),
        application_key("t", "app", "bob", burst=True),
        backend_key("t", "api"),
        backend_key("t", "api", "SANDBOX"),
        custom_key("p", "$userId", {"userId": "bob"}),
    }
    assert len(keys) == 10


def test_tenants_never_share_a_counter() -> None:
    assert subscription_key("a.com", "app", "api") != subscription_key("b.com", "app", "api")


def test_a_custom_key_template_is_filled_with_the_request_values() -> None:
    key = custom_key("perUser", "$userId:$apiContext:$unknown", {"userId": "bob", "apiContext": "/pets"})
    assert key == "custom:perUser:bob:/pets:$unknown"


def test_a_refusal_carries_retry_after_and_rate_limit_headers() -> None:
    headers = dict(rate_limit_headers(100, 0, 0.3, admitted=False))
    assert headers == {
        b"x-ratelimit-limit": b"100",
        b"x-ratelimit-remaining": b"0",
        b"x-ratelimit-reset": b"1",
        b"retry-after": b"1",
    }


def test_an_admitted_answer_has_no_retry_after() -> None:
    headers = dict(rate_limit_headers(100, 42, 12.2, admitted=True))
    assert b"retry-after" not in headers
    assert headers[b"x-ratelimit-remaining"] == b"42"
    assert headers[b"x-ratelimit-reset"] == b"13"
