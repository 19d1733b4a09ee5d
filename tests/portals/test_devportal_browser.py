"""The Developer Portal in headless Chromium, as a consumer walks it: browse and search the catalog,
sign in through the key manager, read an API's documents and reference, create an application,
subscribe, generate keys, a token and an API key, and call the API through the gateway from the
try-it panel. Each step leaves a screenshot in screenshots/."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.portals.conftest import Standalone, basic, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_01_anonymous_visitors_see_published_apis_as_tiles(page: Page, published: Standalone) -> None:
    # Other modules of the session may have published APIs of their own: one tile per API the
    # Developer Portal lists to anyone, the three of this module among them.
    listed = httpx.get(f"{published.control_url}/api/am/devportal/v3/apis", timeout=30).json()
    page.goto("/devportal/apis")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(listed["count"])
    for name in ("PizzaShackAPI", "WeatherAPI", "BooksAPI"):
        expect(tiles.filter(has_text=name)).to_have_count(1)
    pizza = tiles.filter(has_text="PizzaShackAPI")
    expect(pizza).to_contain_text("1.0.0")
    expect(pizza).to_contain_text("by admin")
    expect(pizza).to_contain_text("Shack Ltd")
    expect(pizza).to_contain_text("Free")
    screenshot(page, "01-catalog")


def test_02_searching_narrows_the_catalog_without_a_full_reload(page: Page) -> None:
    page.fill("#q", "pizza")
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator(".tile .api-name")).to_have_text("PizzaShackAPI")
    assert "q=pizza" in page.url
    page.fill("#q", "")
    page.select_option("#tag", "climate")
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator(".tile .api-name")).to_have_text("WeatherAPI")
    screenshot(page, "02-catalog-filtered")


def test_03_signing_in_goes_through_the_key_manager_and_back(page: Page, published: Standalone) -> None:
    page.goto("/devportal/apis")
    page.click("text=Sign in")
    expect(page).to_have_url(re.compile(r"/oauth2/authorize\?"))
    screenshot(page, "03-sign-in")
    page.fill("#username", "admin")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")
    page.fill("#password", "admin")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{published.control_url}/devportal/apis")
    expect(page.locator("#signed-in-user")).to_have_text("admin")
    cookie = next(c for c in page.context.cookies() if c["name"] == "apim_portal_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_04_the_api_overview_shows_security_operations_and_tags(page: Page, published: Standalone) -> None:
    page.goto(f"/devportal/apis/{published.apis['PizzaShackAPI']}")
    expect(page.locator("h1")).to_contain_text("PizzaShackAPI")
    facts = page.locator(".facts").first
    expect(facts).to_contain_text("X-Pizza-Key")
    expect(facts).to_contain_text("Shack Ltd")
    expect(page.locator(".operations")).to_contain_text("/menu")
    expect(page.locator(".facts .chip", has_text="food")).to_be_visible()
    screenshot(page, "04-api-overview")


def test_05_an_application_is_created_with_a_business_plan(page: Page) -> None:
    page.goto("/devportal/applications")
    page.fill("#app-name", "PizzaApp")
    page.select_option("#app-tier", "Unlimited")
    page.fill("#app-description", "Orders lunch")
    page.click("#create-app-form button[type=submit]")
    expect(page.locator("#app-title")).to_contain_text("PizzaApp")
    expect(page.locator("#alerts")).to_contain_text("Application PizzaApp created")
    screenshot(page, "06-application")


def test_06_an_apis_error_body_is_shown_to_the_user(page: Page) -> None:
    page.goto("/devportal/applications")
    page.fill("#app-name", "PizzaApp")
    page.click("#create-app-form button[type=submit]")
    alert = page.locator("#create-app-result .alert.error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("PizzaApp")


def test_07_subscribing_with_a_tier_shows_the_subscription_status(page: Page, published: Standalone) -> None:
    page.goto(f"/devportal/apis/{published.apis['PizzaShackAPI']}")
    page.select_option("#sub-app", label="PizzaApp")
    page.select_option("#sub-tier", "Bronze")
    page.click("#subscribe-form button[type=submit]")
    expect(page.locator("#subscription-status")).to_contain_text("UNBLOCKED")
    expect(page.locator("#subscription-status")).to_contain_text("Bronze")


def test_08_generated_keys_show_the_consumer_secret_once(page: Page) -> None:
    page.goto("/devportal/applications")
    page.click("text=PizzaApp")
    page.locator(".keys-form").first.locator("button[type=submit]").click()
    secret = page.locator("#consumer-secret")
    expect(secret).not_to_be_empty()
    shown = secret.inner_text()
    screenshot(page, "07-keys")
    page.reload()
    expect(page.locator("#consumer-secret")).to_have_count(0)
    assert shown not in page.content()


def test_09_an_access_token_is_generated_with_scopes(page: Page, published: Standalone) -> None:
    form = page.locator(".token-form").first
    form.locator("input[name=scopes]").fill("default")
    form.locator("button[type=submit]").click()
    token = page.locator("#access-token")
    expect(token).not_to_be_empty()
    r = httpx.post(
        f"{published.control_url}/oauth2/introspect",
        data={"token": token.input_value()},
        headers=basic("admin", "admin"),
    )
    assert r.json()["active"] is True


def test_10_an_api_key_comes_with_a_curl_line_in_the_apis_header(page: Page, published: Standalone) -> None:
    page.select_option("#apikey-api", label="PizzaShackAPI")
    page.click("#apikey-form button[type=submit]")
    curl = page.locator("#curl-line")
    expect(curl).to_contain_text('curl -H "X-Pizza-Key: ')
    expect(curl).to_contain_text(f"{published.gateway_url}/pizza/1.0.0/")
    screenshot(page, "08-api-key")
    line = curl.input_value()
    key = line.split("X-Pizza-Key: ", 1)[1].split('"', 1)[0]
    r = httpx.get(f"{published.gateway_url}/pizza/1.0.0/menu", headers={"X-Pizza-Key": key})
    assert r.status_code == 200, r.text


def test_11_the_try_it_panel_calls_the_api_through_the_gateway(page: Page, published: Standalone) -> None:
    page.goto(f"/devportal/apis/{published.apis['PizzaShackAPI']}/reference")
    page.select_option("#credential", label="PizzaApp · production token")
    expect(page.locator("#credential-result")).to_contain_text("PizzaApp · production token")
    expect(page.locator("#api-reference")).to_contain_text("/menu", timeout=30_000)
    screenshot(page, "09-reference")
    with page.expect_response(lambda r: "/devportal/try-it?" in r.url) as relayed:
        page.locator("#api-reference").get_by_role(
            "button", name=re.compile("Test Request", re.I)
        ).first.click()
        page.get_by_role("button", name=re.compile(r"^Send", re.I)).first.click()
    response = relayed.value
    assert response.status == 200, response.text()
    echoed = json.loads(response.text())
    assert echoed["path"] == "/echo/menu"
    screenshot(page, "10-try-it")


def test_12_signing_out_revokes_the_sessions_token(page: Page, published: Standalone) -> None:
    page.goto("/devportal/applications")
    page.click("text=Sign out")
    expect(page.locator("text=Sign in").first).to_be_visible()
    page.goto("/devportal/applications")
    expect(page).to_have_url(re.compile(r"/oauth2/authorize\?"))
