"""The standalone runner as a newcomer meets it: every service up, health, metrics, documents."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e


def test_control_plane_reports_every_service_up(control: httpx.Client) -> None:
    r = control.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "UP"
    assert set(r.json()["services"]) == {
        "key-manager",
        "admin",
        "publisher",
        "devportal",
        "throttle-sync",
        "analytics",
    }


def test_gateway_answers_health_on_its_own_port(gateway: httpx.Client) -> None:
    r = gateway.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "UP"


def test_metrics_are_prometheus_text_on_their_own_port(platform: Platform, control: httpx.Client) -> None:
    control.get("/api/am/publisher/v4/health")
    assert platform.metrics_url is not None
    r = httpx.get(platform.metrics_url, timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert 'apim_http_requests_total{method="GET",service="publisher",status="200"}' in r.text


@pytest.mark.parametrize(
    "prefix",
    ["/api/am/publisher/v4", "/api/am/devportal/v3", "/api/am/admin/v4", "/api/am/throttle/v1", "/oauth2"],
)
def test_each_service_serves_its_openapi_document_under_its_prefix(
    control: httpx.Client, prefix: str
) -> None:
    r = control.get(f"{prefix}/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")


def test_an_unknown_gateway_path_is_900906(gateway: httpx.Client) -> None:
    r = gateway.get("/pizza/1.0.0/menu")
    assert r.status_code == 404
    assert r.json()["code"] == "900906"


def test_the_public_ports_do_not_answer_metrics(control: httpx.Client, gateway: httpx.Client) -> None:
    assert control.get("/metrics").status_code == 404
    assert "apim_" not in gateway.get("/metrics").text
