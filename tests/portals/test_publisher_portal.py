"""The Publisher portal in headless Chromium, with the Admin portal's approval in the middle:
import an OpenAPI 3.1 document, attach two ordered API-level policies by drag and drop, create a
revision with a description, deploy and publish it; then turn on revision-deployment approval,
deploy another revision, approve the task and see the gateway serve it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.portals.conftest import Standalone, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def openapi_31(backend: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Greetings", "version": "1.0.0"},
        "servers": [{"url": f"{backend}/echo"}],
        "paths": {
            "/hello": {
                "get": {
                    "x-auth-type": "None",
                    "responses": {"200": {"description": "a greeting", "content": {"application/json": {}}}},
                }
            }
        },
    }


def gateway_headers(standalone: Standalone, want: dict[str, str], timeout: float = 20) -> dict[str, str]:
    """The headers the backend received through the gateway, once they carry ``want``."""
    deadline = time.monotonic() + timeout
    seen: Any = None
    while time.monotonic() < deadline:
        r = httpx.get(f"{standalone.gateway_url}/greetings/1.0.0/hello", timeout=10)
        if r.status_code == 200:
            headers: dict[str, str] = r.json()["headers"]
            seen = headers
            if all(headers.get(k) == v for k, v in want.items()):
                return headers
        else:
            seen = (r.status_code, r.text)
        time.sleep(0.3)
    raise AssertionError(f"the gateway never served {want}: {seen}")


def sign_in(page: Page, standalone: Standalone, path: str) -> None:
    page.goto(path)
    page.fill("#username", "admin")
    page.fill("#password", "admin")
    page.click("button[type=submit]")
    expect(page.locator("#signed-in-user")).to_have_text("admin")


def test_01_an_invalid_definition_shows_the_validators_messages_inline(
    page: Page, published: Standalone, tmp_path: Path
) -> None:
    sign_in(page, published, "/publisher/apis")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "x"}}))
    page.set_input_files("#import-file", str(broken))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-problems")).to_contain_text("not valid")


def test_02_importing_an_openapi_31_document_creates_the_api(
    page: Page, published: Standalone, backend: str, tmp_path: Path
) -> None:
    document = tmp_path / "greetings.json"
    document.write_text(json.dumps(openapi_31(backend)))
    page.goto("/publisher/apis")
    page.set_input_files("#import-file", str(document))
    page.fill("#import-context", "/greetings")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#api-title")).to_contain_text("Greetings")
    expect(page.locator("#alerts")).to_contain_text("imported from 3.1.0")
    screenshot(page, "publisher-01-api-overview")
    page.goto("/publisher/apis")
    expect(page.locator(".api-row", has_text="Greetings")).to_be_visible()
    screenshot(page, "publisher-02-api-list")


def _open_api(page: Page, tab: str) -> None:
    page.goto("/publisher/apis")
    page.click(".api-row >> text=Greetings")
    page.click(f".tabs >> text={tab}")


def test_03_two_policies_dragged_into_the_request_flow_keep_their_order(page: Page) -> None:
    _open_api(page, "Policies")
    palette = page.locator('.palette-item[data-name="addHeader"]')
    flow = page.locator("#flow-request")
    palette.drag_to(flow)
    palette.drag_to(flow)
    items = flow.locator(".policy-item")
    expect(items).to_have_count(2)
    items.nth(0).locator('[data-attr="headerName"]').fill("X-First")
    items.nth(0).locator('[data-attr="headerValue"]').fill("one")
    items.nth(1).locator('[data-attr="headerName"]').fill("X-Second")
    items.nth(1).locator('[data-attr="headerValue"]').fill("two")
    # Drag the second above the first: the order posted is the order shown.
    items.nth(1).locator(".policy-name").drag_to(
        items.nth(0).locator(".policy-head"), target_position={"x": 5, "y": 2}
    )
    expect(items.nth(0).locator('[data-attr="headerName"]')).to_have_value("X-Second")
    screenshot(page, "publisher-03-policies")
    page.click("#save-policies")
    expect(page.locator("#alerts")).to_contain_text("Policies saved")
    saved = page.locator("#flow-request .policy-item [data-attr='headerName']")
    expect(saved).to_have_count(2)
    assert [saved.nth(0).input_value(), saved.nth(1).input_value()] == ["X-Second", "X-First"]


def test_04_a_parameter_the_spec_refuses_is_shown_by_its_field(page: Page) -> None:
    first = page.locator("#flow-request .policy-item").nth(0)
    first.locator('[data-attr="headerName"]').fill("bad header")
    page.click("#save-policies")
    expect(page.locator("#form-error")).to_contain_text("Invalid operation policy")
    expect(page.locator("#flow-request .policy-item").nth(0).locator(".field-error")).to_contain_text(
        "headerName"
    )
    page.locator("#flow-request .policy-item").nth(0).locator('[data-attr="headerName"]').fill("X-Second")
    page.click("#save-policies")
    expect(page.locator("#alerts")).to_contain_text("Policies saved")


def test_05_a_revision_with_a_description_is_deployed(page: Page, published: Standalone) -> None:
    _open_api(page, "Revisions")
    page.fill("#revision-description", "Greeting headers")
    page.click("#revision-form button[type=submit]")
    row = page.locator(".revision", has_text="Greeting headers")
    expect(row).to_be_visible()
    row.locator("button[value=deploy]").click()
    expect(page.locator("#alerts")).to_contain_text("Revision deployed")
    expect(page.locator(".revision", has_text="Greeting headers").locator(".deployment")).to_contain_text(
        "Default"
    )
    screenshot(page, "publisher-04-revisions")


def test_06_publishing_moves_the_lifecycle_and_the_gateway_applies_the_policies(
    page: Page, published: Standalone
) -> None:
    _open_api(page, "Lifecycle")
    page.click(".lifecycle-action >> text=Publish")
    expect(page.locator("#lifecycle-state")).to_have_text("Published")
    expect(page.locator("#lifecycle-history")).to_contain_text("PUBLISHED", ignore_case=True)
    screenshot(page, "publisher-05-lifecycle")
    headers = gateway_headers(published, {"x-first": "one", "x-second": "two"})
    assert headers["x-second"] == "two"


def test_07_an_admin_turns_on_revision_deployment_approval(page: Page) -> None:
    page.goto("/admin/tenant-config")
    page.check("#wf-AM_REVISION_DEPLOYMENT")
    page.click("#workflow-switches button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("Tenant configuration saved")
    expect(page.locator("#wf-AM_REVISION_DEPLOYMENT")).to_be_checked()
    screenshot(page, "admin-01-tenant-config")


def test_08_a_deployment_awaiting_approval_is_shown_as_such(page: Page, published: Standalone) -> None:
    _open_api(page, "Policies")
    page.locator("#flow-request .policy-item [data-attr='headerValue']").nth(0).fill("three")
    page.click("#save-policies")
    expect(page.locator("#alerts")).to_contain_text("Policies saved")
    page.click(".tabs >> text=Revisions")
    page.fill("#revision-description", "Second greeting")
    page.click("#revision-form button[type=submit]")
    page.locator(".revision", has_text="Second greeting").locator("button[value=deploy]").click()
    expect(page.locator("#alerts")).to_contain_text("awaits approval")
    pending = page.locator(".revision", has_text="Second greeting").locator(".deployment.pending")
    expect(pending).to_contain_text("awaiting approval")
    screenshot(page, "publisher-06-pending-deployment")
    # Nothing reaches the gateway before the approval.
    assert gateway_headers(published, {"x-second": "two"})["x-second"] == "two"


def test_09_approving_the_task_deploys_the_revision_to_the_gateway(page: Page, published: Standalone) -> None:
    page.goto("/admin/workflows")
    task = page.locator(".task", has_text="AM_REVISION_DEPLOYMENT")
    expect(task).to_have_count(1)
    screenshot(page, "admin-02-tasks")
    task.locator("button.approve").click()
    expect(page.locator("#alerts")).to_contain_text("Task approved")
    expect(page.locator("#no-tasks")).to_be_visible()
    assert gateway_headers(published, {"x-second": "three"})["x-first"] == "one"
    _open_api(page, "Revisions")
    expect(page.locator(".revision", has_text="Second greeting").locator(".deployment")).not_to_contain_text(
        "awaiting"
    )
