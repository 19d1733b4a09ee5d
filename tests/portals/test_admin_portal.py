"""The Admin portal in headless Chromium: tiers with burst, role -> scope mapping, and 4.3's admin
RBAC: an administrator whose role lacks apim:tier_manage sees tiers but not the tier editor."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.portals.conftest import Standalone, basic, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

OPS_ROLE = "Internal/opsadmin"


def sign_in(page: Page, user: str, password: str) -> None:
    page.goto("/admin/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("#signed-in-user")).to_have_text(user)


def test_01_an_admin_adds_an_application_tier_with_burst(page: Page) -> None:
    sign_in(page, "admin", "admin")
    expect(page.locator("#admin-sections")).to_contain_text("Role scopes")
    page.goto("/admin/tiers")
    expect(page.locator("#tier-editor")).to_be_visible()
    page.select_option("#tier-kind", "application")
    page.fill("#tier-name", "Gold50")
    page.fill("#tier-burst", "5")
    page.click("#tier-form button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("Application tier Gold50 added")
    expect(page.locator("#tiers-application tr", has_text="Gold50")).to_contain_text("burst 5/sec")
    screenshot(page, "admin-03-tiers")


def test_02_a_refused_tier_shows_the_apis_message_by_field(page: Page) -> None:
    page.select_option("#tier-kind", "application")
    page.fill("#tier-name", "bad name!")
    page.click("#tier-form button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("HTTP 400")
    expect(page.locator("#tier-form .field-error")).to_be_visible()


def test_03_a_role_gets_scopes_through_the_role_scope_mapping(page: Page) -> None:
    page.goto(f"/admin/scopes?role={OPS_ROLE}")
    for scope in ("apim:api_workflow_view", "apim:api_workflow_approve", "apim:tier_view"):
        page.check(f'#role-scopes input[value="{scope}"]')
    page.click("#role-scopes button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text(f"Scopes of {OPS_ROLE} saved")
    expect(page.locator('#role-scopes input[value="apim:tier_view"]')).to_be_checked()
    expect(page.locator('#role-scopes input[value="apim:tier_manage"]')).not_to_be_checked()
    screenshot(page, "admin-04-role-scopes")


@pytest.fixture
def ops_page(browser: Browser, published: Standalone) -> Iterator[Page]:
    with httpx.Client(base_url=published.control_url, timeout=30) as control:
        r = control.post(
            "/scim2/Users",
            json={"userName": "ops", "password": "ops-pass-1", "roles": [{"value": OPS_ROLE}]},
            headers=basic("admin", "admin"),
        )
        assert r.status_code == 201, r.text
    ctx = browser.new_context(base_url=published.control_url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    tab = ctx.new_page()
    yield tab
    ctx.close()


def test_04_an_admin_without_tier_manage_does_not_see_the_tier_editor(ops_page: Page) -> None:
    sign_in(ops_page, "ops", "ops-pass-1")
    sections = ops_page.locator("#admin-sections")
    expect(sections).to_contain_text("Tasks")
    expect(sections).to_contain_text("Rate-limit tiers")
    expect(sections).not_to_contain_text("Role scopes")
    ops_page.goto("/admin/tiers")
    expect(ops_page.locator("#tiers-application")).to_contain_text("Gold50")
    expect(ops_page.locator("#tier-editor")).to_have_count(0)
    screenshot(ops_page, "admin-05-tiers-read-only")
    ops_page.goto("/admin/scopes")
    expect(ops_page.locator("#form-error")).to_contain_text("does not allow role scopes")
