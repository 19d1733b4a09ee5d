"""addLogMessage never writes an API's credentials to the log, whatever the API names its headers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from apim_gateway.context import Exchange, GatewayRequest
from apim_gateway.policies.base import REGISTRY
from tests.gateway.conftest import Harness
from tests.gateway.test_builtin_policies_at_backend import ECHO, attach, deploy

LOGGER = "apim_gateway.policies.log"


def logged_headers(caplog: pytest.LogCaptureFixture, message: str) -> dict[str, str]:
    records = [r for r in caplog.records if r.getMessage() == message]
    assert len(records) == 1
    headers: dict[str, str] = records[0].policy["headers"]  # type: ignore[attr-defined]
    return headers


async def test_the_apis_own_api_key_header_is_masked_in_the_log(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # The API takes its API key in X-Shop-Key; the caller signs in with OAuth and sends a key too.
    deploy(
        harness,
        request=[attach("addLogMessage", logMessage="shop call", logHeaders=True)],
        apiKeyHeader="X-Shop-Key",
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        r = await harness.client.get(ECHO, headers={**harness.bearer(), "X-Shop-Key": "key-of-the-caller"})
    assert r.status_code == 200, r.text
    headers = logged_headers(caplog, "shop call")
    assert headers["x-shop-key"] == "****"
    assert "key-of-the-caller" not in caplog.text


def test_a_renamed_oauth_header_is_masked_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    policy: Any = REGISTRY["addLogMessage"]({"logMessage": "m", "logHeaders": "true"})
    request = GatewayRequest("GET", "/x", "", [("x-shop-auth", "Basic c2VjcmV0"), ("x-a", "1")], "10.0.0.1")
    exchange = Exchange(request, "carbon.super", "api-1", "/shop", "1.0.0", "/x")
    exchange.variables["credential_headers"] = ("x-shop-auth", "apikey")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        policy._emit("request", exchange, request.headers, None)
    assert logged_headers(caplog, "m") == {"x-shop-auth": "****", "x-a": "1"}


def test_authorization_is_masked_whatever_the_api(caplog: pytest.LogCaptureFixture) -> None:
    policy: Any = REGISTRY["addLogMessage"]({"logMessage": "m", "logHeaders": "true"})
    request = GatewayRequest("GET", "/x", "", [("authorization", "Basic YTpi"), ("x-a", "1")], "10.0.0.1")
    exchange = Exchange(request, "carbon.super", "api-1", "/shop", "1.0.0", "/x")
    exchange.variables["credential_headers"] = ("authorization", "x-shop-key")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        policy._emit("request", exchange, request.headers, None)
    assert logged_headers(caplog, "m") == {"authorization": "****", "x-a": "1"}
