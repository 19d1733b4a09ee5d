"""``apimctl diff``: backend credentials the platform shows masked are no drift."""

from __future__ import annotations

from typing import Any

from apimctl.declarative import compare

KEY = ("API", "Pizza Shack", "1.0.0")


def _api(password: str, username: str = "shop") -> dict[str, Any]:
    side = {"enabled": True, "type": "BASIC", "username": username, "password": password}
    return {
        "kind": "API",
        "name": "Pizza Shack",
        "version": "1.0.0",
        "endpointConfig": {"endpoint_type": "http", "endpoint_security": {"production": side}},
    }


def test_a_file_holding_the_secret_the_platform_masks_is_no_drift() -> None:
    assert compare({KEY: _api("s3cret")}, {KEY: _api("")}, prune=False) == []


def test_other_endpoint_security_changes_are_drift() -> None:
    (change,) = compare({KEY: _api("s3cret", username="other")}, {KEY: _api("")}, prune=False)
    assert change.action == "update"
