"""The portals over plain HTTP: what a browser cannot be tricked into."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from apim_portals.auth import safe_return
from tests.portals.conftest import Standalone

pytestmark = pytest.mark.e2e


@pytest.fixture
def portal(published: Standalone) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=published.control_url, timeout=30, follow_redirects=False) as client:
        yield client


def test_a_signed_in_page_sends_anonymous_visitors_to_sign_in(portal: httpx.Client) -> None:
    r = portal.get("/devportal/applications")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/devportal/auth/login?return_to=%2Fdevportal%2Fapplications")


def test_sign_in_starts_the_code_flow_with_pkce_s256(portal: httpx.Client, standalone: Standalone) -> None:
    r = portal.get("/devportal/auth/login")
    location = r.headers["location"]
    assert location.startswith(f"{standalone.control_url}/oauth2/authorize?")
    assert "code_challenge_method=S256" in location
    assert "client_id=apim-portals" in location


def test_a_form_without_the_sessions_csrf_token_is_refused(portal: httpx.Client) -> None:
    r = portal.post("/devportal/applications", data={"name": "x"})
    assert r.status_code in (303, 403)
    r = portal.post("/devportal/auth/logout", data={"csrf_token": "guess"})
    assert r.status_code == 403


def test_a_callback_with_an_unknown_state_signs_nobody_in(portal: httpx.Client) -> None:
    r = portal.get("/devportal/auth/callback", params={"code": "abc", "state": "forged"})
    assert r.status_code == 400
    assert "apim_portal_session" not in r.headers.get("set-cookie", "")


def test_the_try_it_relay_only_reaches_the_gateway(portal: httpx.Client) -> None:
    same_origin = {"Sec-Fetch-Site": "same-origin"}
    r = portal.get(
        "/devportal/try-it", params={"scalar_url": "http://169.254.169.254/latest"}, headers=same_origin
    )
    assert r.status_code == 400


def test_the_try_it_relay_refuses_requests_from_other_sites(
    portal: httpx.Client, standalone: Standalone
) -> None:
    target = f"{standalone.gateway_url}/health"
    r = portal.get(
        "/devportal/try-it", params={"scalar_url": target}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403


def test_pages_forbid_framing_and_foreign_scripts(portal: httpx.Client) -> None:
    r = portal.get("/devportal/apis")
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_sign_in_returns_only_to_a_page_of_the_same_portal() -> None:
    assert safe_return("devportal", "/devportal/apis?q=x") == "/devportal/apis?q=x"
    assert safe_return("devportal", "https://evil.example/") == "/devportal/"
    assert safe_return("devportal", "//evil.example/devportal") == "/devportal/"
    assert safe_return("devportal", "/admin/") == "/devportal/"
