"""The Publisher portal's design settings, submitted as a browser submits the form and then read
back through the Publisher REST API; a refused form shows the API's message by its field."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.portals.conftest import PUBLISHER, PortalBrowser, Standalone, password_token

pytestmark = pytest.mark.e2e

ADMIN = "/api/am/admin/v4"


@pytest.fixture(scope="module")
def api_id(control: httpx.Client, auth: dict[str, str]) -> str:
    """A draft API to design, and an API category it may join."""
    token = password_token(control, "publisher_forms_admin", "admin", "admin", "apim:api_category apim:admin")
    r = control.post(
        f"{ADMIN}/api-categories",
        json={"name": "FormsWeather", "description": "forecasts"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    r = control.post(
        f"{PUBLISHER}/apis",
        json={
            "name": "FormsDesignAPI",
            "context": "/forms-design",
            "version": "1.0.0",
            "endpointConfig": {
                "endpoint_type": "http",
                "production_endpoints": {"url": "http://one.example.com"},
            },
            "operations": [{"target": "/items", "verb": "GET"}],
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    created: str = r.json()["id"]
    return created


@pytest.fixture(scope="module")
def portal(standalone: Standalone) -> Iterator[PortalBrowser]:
    browser = PortalBrowser(standalone.control_url)
    browser.sign_in("publisher", "admin", "admin")
    yield browser
    browser.close()


def stored(control: httpx.Client, auth: dict[str, str], api_id: str) -> dict[str, Any]:
    r = control.get(f"{PUBLISHER}/apis/{api_id}", headers=auth)
    assert r.status_code == 200, r.text
    api: dict[str, Any] = r.json()
    return api


def design(portal: PortalBrowser, api_id: str, values: dict[str, Any]) -> httpx.Response:
    return portal.submit(f"/publisher/apis/{api_id}/design", "design-form", values)


def saved(r: httpx.Response) -> None:
    error = re.search(r'<div id="form-error">(.*?)</div>', r.text, re.S)
    assert error is None, error.group(1)
    assert r.status_code == 200, r.text[:300]
    assert "Saved" in r.text


def test_load_balanced_endpoints_security_cors_and_business_information_are_saved(
    portal: PortalBrowser, control: httpx.Client, auth: dict[str, str], api_id: str
) -> None:
    r = design(
        portal,
        api_id,
        {
            "endpoint_type": "load_balance",
            "production_endpoints": "http://one.example.com\nhttp://two.example.com",
            "sandbox_endpoints": "http://sandbox.example.com",
            "securityScheme": ["oauth2", "api_key"],
            "apiKeyHeader": "X-Forms-Key",
            "corsEnabled": "on",
            "corsOrigins": "https://app.example.com, https://admin.example.com",
            "corsHeaders": "authorization, content-type",
            "corsMethods": "GET, POST",
            "corsCredentials": "on",
            "businessOwner": "Forms Ltd",
            "businessOwnerEmail": "owner@forms.example.com",
            "technicalOwner": "Ops",
            "technicalOwnerEmail": "ops@forms.example.com",
        },
    )
    saved(r)
    api = stored(control, auth, api_id)
    ep = api["endpointConfig"]
    assert ep["endpoint_type"] == "load_balance"
    assert [e["url"] for e in ep["production_endpoints"]] == [
        "http://one.example.com",
        "http://two.example.com",
    ]
    assert [e["url"] for e in ep["sandbox_endpoints"]] == ["http://sandbox.example.com"]
    assert ep["algoClassName"] == "org.apache.synapse.endpoints.algorithms.RoundRobin"
    assert api["securityScheme"] == ["oauth2", "api_key"]
    assert api["apiKeyHeader"] == "X-Forms-Key"
    assert api["corsConfiguration"] == {
        "corsConfigurationEnabled": True,
        "accessControlAllowOrigins": ["https://app.example.com", "https://admin.example.com"],
        "accessControlAllowCredentials": True,
        "accessControlAllowHeaders": ["authorization", "content-type"],
        "accessControlAllowMethods": ["GET", "POST"],
    }
    assert api["businessInformation"] == {
        "businessOwner": "Forms Ltd",
        "businessOwnerEmail": "owner@forms.example.com",
        "technicalOwner": "Ops",
        "technicalOwnerEmail": "ops@forms.example.com",
    }


def test_failover_endpoints_are_saved_as_a_primary_and_its_failovers(
    portal: PortalBrowser, control: httpx.Client, auth: dict[str, str], api_id: str
) -> None:
    r = design(
        portal,
        api_id,
        {
            "endpoint_type": "failover",
            "production_endpoints": "http://primary.example.com\nhttp://backup1.example.com\nhttp://backup2.example.com",
            "sandbox_endpoints": "http://sandbox.example.com",
        },
    )
    saved(r)
    ep = stored(control, auth, api_id)["endpointConfig"]
    assert ep["endpoint_type"] == "failover"
    assert ep["production_endpoints"]["url"] == "http://primary.example.com"
    assert [e["url"] for e in ep["production_failovers"]] == [
        "http://backup1.example.com",
        "http://backup2.example.com",
    ]
    assert ep["sandbox_endpoints"]["url"] == "http://sandbox.example.com"
    assert ep["sandbox_failovers"] == []


def test_the_form_keeps_what_it_does_not_change(
    portal: PortalBrowser, control: httpx.Client, auth: dict[str, str], api_id: str
) -> None:
    before = stored(control, auth, api_id)
    saved(design(portal, api_id, {}))
    after = stored(control, auth, api_id)
    for key in (
        "endpointConfig",
        "securityScheme",
        "apiKeyHeader",
        "corsConfiguration",
        "businessInformation",
    ):
        assert after[key] == before[key], key


def test_visibility_tags_and_categories_are_saved(
    portal: PortalBrowser, control: httpx.Client, auth: dict[str, str], api_id: str
) -> None:
    r = design(
        portal,
        api_id,
        {
            "description": "Forecasts by the hour.",
            "visibility": "RESTRICTED",
            "visibleRoles": "Internal/subscriber, Internal/partner",
            "tags": "weather, forecast",
            "categories": ["FormsWeather"],
        },
    )
    saved(r)
    api = stored(control, auth, api_id)
    assert api["description"] == "Forecasts by the hour."
    assert api["visibility"] == "RESTRICTED"
    assert api["visibleRoles"] == ["Internal/subscriber", "Internal/partner"]
    assert sorted(api["tags"]) == ["forecast", "weather"]
    assert api["categories"] == ["FormsWeather"]
    # Monetization stays off: no billing provider is configured (the control plane refuses it).
    assert api["monetization"]["enabled"] is False
    r = design(
        portal, api_id, {"visibility": "PUBLIC", "visibleRoles": "", "categories": None, "monetization": None}
    )
    saved(r)
    api = stored(control, auth, api_id)
    assert (api["visibility"], api["visibleRoles"], api["categories"]) == ("PUBLIC", [], [])
    assert api["monetization"]["enabled"] is False


def refused_by_field(r: httpx.Response, field: str, message: str) -> None:
    assert r.status_code == 400, r.text[:300]
    text = html.unescape(r.text)
    error = re.search(r'<div id="form-error">(.*?)</div>', text, re.S)
    assert error is not None
    assert "HTTP 400" in error.group(1)
    spans = re.findall(rf'<span class="field-error" id="err-{field}" role="alert">(.*?)</span>', text, re.S)
    assert spans, error.group(1)
    assert message in spans[0], spans


def test_a_refused_api_key_header_is_shown_by_its_field(portal: PortalBrowser, api_id: str) -> None:
    refused_by_field(design(portal, api_id, {"apiKeyHeader": "bad header!"}), "apiKeyHeader", "pattern")


def test_a_refused_endpoint_is_shown_by_the_endpoints(portal: PortalBrowser, api_id: str) -> None:
    r = design(portal, api_id, {"endpoint_type": "http", "production_endpoints": "ftp://files.example.com"})
    refused_by_field(r, "endpointConfig", "absolute http:// or https:// URL")
