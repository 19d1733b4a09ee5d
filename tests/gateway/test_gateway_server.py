"""``python -m apim_gateway``: the ASGI server chosen by APIM_GATEWAY_SERVER."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from apim_gateway import server
from apim_gateway.app import Gateway


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setenv("APIM_GATEWAY_SNAPSHOT_CACHE", "")
    monkeypatch.setattr(sys, "argv", ["apim_gateway"])


def _record_runners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []

    def run_service(*args: Any) -> int:
        ran.append("uvicorn")
        return 0

    def serve_granian(settings: Any) -> int:
        ran.append("granian")
        return 0

    monkeypatch.setattr(server, "run_service", run_service)
    monkeypatch.setattr(server, "_serve_granian", serve_granian)
    return ran


@pytest.mark.usefixtures("development")
def test_the_gateway_runs_under_uvicorn_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APIM_GATEWAY_SERVER", raising=False)
    ran = _record_runners(monkeypatch)
    assert server.main() == 0
    assert ran == ["uvicorn"]


@pytest.mark.usefixtures("development")
def test_apim_gateway_server_granian_serves_under_granian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_GATEWAY_SERVER", "granian")
    ran = _record_runners(monkeypatch)
    assert server.main() == 0
    assert ran == ["granian"]


@pytest.mark.usefixtures("development")
def test_granian_app_trusts_forwarded_for_from_the_allowed_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.7")
    app = server.granian_app()
    assert isinstance(app, ProxyHeadersMiddleware)
    assert isinstance(app.app, Gateway)
    assert "10.0.0.7" in app.trusted_hosts
    assert "127.0.0.1" not in app.trusted_hosts
