"""Streaming APIs in the portals, in headless Chromium: the Publisher imports a WebSocket API from an
AsyncAPI file (its errors shown first), edits its topics and offers the streaming tiers; the
Developer Portal shows an API's topics and, for WebSub APIs, the application's live webhook
subscriptions as the gateway's hub reports them in events."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from apim_common.events.webhooks import CREATED, DELIVERED
from tests.portals.conftest import (
    DEVPORTAL,
    PUBLISHER,
    Standalone,
    deploy_revision,
    password_token,
    publish,
    screenshot,
    sign_in,
    subscribed_app,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ADMIN = "/api/am/admin/v4"


def chat_asyncapi() -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "LiveChat", "version": "1.0.0", "description": "Rooms to chat in"},
        "servers": {"production": {"url": "ws://127.0.0.1:9/chat", "protocol": "ws"}},
        "channels": {
            "/rooms": {"subscribe": {"message": {"payload": {"type": "string"}}}},
            "/typing": {"subscribe": {}, "publish": {"message": {"payload": {"type": "string"}}}},
        },
    }


def orders_websub() -> dict[str, Any]:
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "OrderHooks", "version": "1.0.0"},
        "servers": {"hub": {"url": "https://hub.example.com", "protocol": "https"}},
        "channels": {"/orders": {"subscribe": {"message": {"payload": {"type": "object"}}}}},
    }


def stored(control: httpx.Client, auth: dict[str, str], name: str) -> dict[str, Any]:
    r = control.get(f"{PUBLISHER}/apis", params={"query": f"name:{name}"}, headers=auth)
    assert r.status_code == 200, r.text
    [summary] = [a for a in r.json()["list"] if a["name"] == name]
    r = control.get(f"{PUBLISHER}/apis/{summary['id']}", headers=auth)
    assert r.status_code == 200, r.text
    api: dict[str, Any] = r.json()
    return api


def _approve_deployments(control: httpx.Client) -> None:
    """Approve the pending revision deployments (an earlier module may have turned approval on)."""
    scopes = "apim:admin apim:api_workflow_view apim:api_workflow_approve"
    admin = {
        "Authorization": "Bearer "
        + password_token(control, "streaming_portal_admin", "admin", "admin", scopes)
    }
    deadline = time.monotonic() + 10
    while True:
        r = control.get(
            f"{ADMIN}/workflows", params={"workflowType": "AM_REVISION_DEPLOYMENT"}, headers=admin
        )
        assert r.status_code == 200, r.text
        if r.json()["list"]:
            break
        assert time.monotonic() < deadline, "the deployment never reached the approvals"
        time.sleep(0.1)
    for task in r.json()["list"]:
        r = control.post(
            f"{ADMIN}/workflows/update-workflow-status",
            params={"workflowReferenceId": task["referenceId"]},
            json={"status": "APPROVED"},
            headers=admin,
        )
        assert r.status_code == 200, r.text


def release(control: httpx.Client, auth: dict[str, str], api_id: str) -> None:
    """Revise, deploy (approving the deployment if the tenant asks for it) and publish."""
    if any(d.get("status") == "CREATED" for d in deploy_revision(control, auth, api_id)):
        _approve_deployments(control)
    publish(control, auth, api_id)


def test_01_an_invalid_asyncapi_file_shows_the_validators_errors(page: Page, tmp_path: Path) -> None:
    sign_in(page, "/publisher/apis")
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"asyncapi": "2.6.0", "info": {"title": "Broken"}, "channels": {}}))
    page.set_input_files("#asyncapi-file", str(broken))
    page.click("#asyncapi-form button[value=import]")
    problems = page.locator("#asyncapi-problems")
    expect(problems).to_contain_text("The AsyncAPI definition is not valid")
    expect(problems).to_contain_text("'version' is a required property")


def test_02_a_valid_file_shows_its_derived_type_then_imports_a_websocket_api(
    page: Page, tmp_path: Path, control: httpx.Client, auth: dict[str, str]
) -> None:
    document = tmp_path / "chat.yaml"
    document.write_text(yaml.safe_dump(chat_asyncapi()))
    page.set_input_files("#asyncapi-file", str(document))
    page.click("#asyncapi-form button[value=validate]")
    expect(page.locator("#asyncapi-type")).to_have_text("WS")
    expect(page.locator("#asyncapi-info")).to_contain_text("ws://127.0.0.1:9/chat")
    page.set_input_files("#asyncapi-file", str(document))
    page.fill("#asyncapi-context", "/livechat")
    page.click("#asyncapi-form button[value=import]")
    expect(page.locator("#api-title")).to_contain_text("LiveChat")
    expect(page.locator("#alerts")).to_contain_text("imported as a WS API (WebSocket) from AsyncAPI 2.6.0")
    expect(page.locator("#api-type")).to_have_text("WS")
    expect(page.locator(".tabs")).to_contain_text("Topics")
    expect(page.locator(".tabs")).not_to_contain_text("Resources")
    screenshot(page, "publisher-07-asyncapi-import")
    api = stored(control, auth, "LiveChat")
    assert (api["type"], api["context"]) == ("WS", "/livechat")
    assert api["endpointConfig"]["production_endpoints"]["url"] == "ws://127.0.0.1:9/chat"


def test_03_the_topics_page_lists_and_edits_the_topics(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    page.click(".tabs >> text=Topics")
    rows = page.locator("#topics .topic")
    expect(rows).to_have_count(3)
    names = [rows.nth(i).locator("input[name^=name-]").input_value() for i in range(3)]
    assert sorted(names) == ["rooms", "typing", "typing"]
    # Drop the PUBLISH side of typing, rename rooms, add an alerts topic clients publish to.
    for i, name in enumerate(names):
        row = rows.nth(i)
        mode = row.locator("select[name^=mode-]").input_value()
        if (name, mode) == ("typing", "PUBLISH"):
            row.locator("input[name^=remove-]").check()
        if name == "rooms":
            row.locator("input[name^=name-]").fill("lobby")
    page.fill("#new-topic-name", "alerts")
    page.select_option("#new-topic-mode", "PUBLISH")
    page.fill("#new-topic-description", "Raise an alert")
    page.click("#save-topics")
    expect(page.locator("#alerts")).to_contain_text("Topics saved")
    expect(page.locator("#topics .topic")).to_have_count(3)
    expect(page.locator("#topics input[value='Raise an alert']")).to_have_count(1)
    screenshot(page, "publisher-08-topics")
    api = stored(control, auth, "LiveChat")
    assert sorted((op["verb"], op["target"]) for op in api["operations"]) == [
        ("PUBLISH", "/alerts"),
        ("SUBSCRIBE", "/lobby"),
        ("SUBSCRIBE", "/typing"),
    ]


def test_03b_saving_the_design_keeps_the_websocket_endpoint(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    page.click(".tabs >> text=Design")
    expect(page.locator("#endpoint-type")).to_have_value("ws")
    page.click("#design-form button[type=submit]")
    expect(page.locator("#alerts")).to_contain_text("Saved")
    endpoints = stored(control, auth, "LiveChat")["endpointConfig"]
    assert (endpoints["endpoint_type"], endpoints["production_endpoints"]["url"]) == (
        "ws",
        "ws://127.0.0.1:9/chat",
    )
    page.click(".tabs >> text=Topics")


def test_04_a_topic_name_the_publisher_refuses_is_shown(page: Page) -> None:
    page.fill("#new-topic-name", "bad topic!")
    page.click("#save-topics")
    expect(page.locator("#form-error")).to_contain_text("HTTP 400")
    expect(page.locator("#topics .topic")).to_have_count(3)


def test_05_a_streaming_api_is_offered_the_streaming_tiers(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    page.click(".tabs >> text=Subscriptions")
    plans = page.locator("#plans-form .plan")
    expect(plans.filter(has_text="AsyncBronze")).to_contain_text("5000 events per day")
    expect(plans.filter(has_text="AsyncWHGold")).to_contain_text("1000 active subscriptions")
    expect(plans.filter(has_text="Gold").filter(has_not_text="Async")).to_have_count(0)
    page.locator("#plans-form input[value=AsyncBronze]").check()
    page.locator("#plans-form input[value=AsyncGold]").check()
    page.click("#save-plans")
    expect(page.locator("#alerts")).to_contain_text("Saved")
    expect(page.locator("#plans-form input[value=AsyncGold]")).to_be_checked()
    screenshot(page, "publisher-09-streaming-plans")
    assert sorted(stored(control, auth, "LiveChat")["policies"]) == ["AsyncBronze", "AsyncGold"]


def test_05b_an_http_api_is_offered_the_request_tiers_only(page: Page, published: Standalone) -> None:
    page.goto(f"/publisher/apis/{published.apis['PizzaShackAPI']}/subscriptions")
    plans = page.locator("#plans-form .plan")
    expect(plans.filter(has_text="Bronze")).to_contain_text("1000 requests per min")
    expect(page.locator("#plans-form input[value=Bronze]")).to_be_checked()
    expect(page.locator("#plans-form input[value=Gold]")).not_to_be_checked()
    expect(plans.filter(has_text="Async")).to_have_count(0)


def test_06_the_devportal_shows_a_streaming_apis_topics(
    page: Page, control: httpx.Client, auth: dict[str, str]
) -> None:
    api_id = stored(control, auth, "LiveChat")["id"]
    release(control, auth, api_id)
    deadline = time.monotonic() + 10
    while control.get(f"{DEVPORTAL}/apis/{api_id}").status_code != 200:
        assert time.monotonic() < deadline, "the API never reached the devportal"
        time.sleep(0.1)
    sign_in(page, f"/devportal/apis/{api_id}")
    topics = page.locator(".topics .topic")
    expect(topics).to_have_count(3)
    expect(page.locator(".topics")).to_contain_text("/lobby")
    expect(topics.filter(has_text="/alerts")).to_contain_text("PUBLISH")
    screenshot(page, "11-api-topics")


def _outbox_event(data_dir: Path, event_type: str, subject: str, data: dict[str, Any]) -> None:
    """An event on the runner's in-process bus, as the gateway's hub would publish it: a row in the
    devportal's outbox, which its relay publishes and its own consumer takes."""
    event = new_event("apim-gateway-test", event_type, subject, data)
    with sqlite3.connect(data_dir / "devportal.db", timeout=10) as db:
        db.execute(
            "INSERT INTO outbox (topic, event_id, payload, created_at) VALUES (?, ?, ?, ?)",
            (
                str(Topic.WEBHOOK_SUBSCRIPTIONS),
                event.id,
                json.dumps(event.model_dump(mode="json")),
                datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            ),
        )


def test_07_the_application_page_shows_its_live_webhook_subscriptions(
    page: Page, published: Standalone, control: httpx.Client, auth: dict[str, str]
) -> None:
    r = control.post(
        f"{PUBLISHER}/apis/import-asyncapi",
        files={"file": ("hooks.yaml", yaml.safe_dump(orders_websub()).encode(), "application/yaml")},
        data={"additionalProperties": json.dumps({"context": "/orderhooks", "policies": ["AsyncWHGold"]})},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    hooks = r.json()
    assert hooks["type"] == "WEBSUB"
    release(control, auth, hooks["id"])
    user, app_id = subscribed_app(control, "streaming_portal_dev", "HookApp", hooks["id"], "AsyncWHGold")

    data_dir = published.log.parent / "data"
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    for ident, callback in (
        (first, "https://client.example.com/hook"),
        (second, "https://other.example.com/cb"),
    ):
        created = {
            "subscriptionId": ident,
            "apiId": hooks["id"],
            "applicationId": app_id,
            "topic": "/orders",
            "callbackUrl": callback,
            "subscribedAt": "2026-12-06T10:00:00+00:00",
            "leaseSeconds": 86400,
        }
        _outbox_event(data_dir, CREATED, ident, created)
    _outbox_event(
        data_dir,
        DELIVERED,
        first,
        {"subscriptionId": first, "deliveredAt": "2026-12-06T10:05:00+00:00", "outcome": "DELIVERED"},
    )
    _outbox_event(
        data_dir,
        DELIVERED,
        second,
        {"subscriptionId": second, "deliveredAt": "2026-12-06T10:06:00+00:00", "outcome": "FAILED"},
    )
    deadline = time.monotonic() + 10
    while True:
        r = control.get(f"{DEVPORTAL}/webhooks/subscriptions", params={"applicationId": app_id}, headers=user)
        assert r.status_code == 200, r.text
        # Both subscriptions listed with their last delivery (the page reads the same listing).
        if sorted(s["deliveryStatus"] for s in r.json()["list"]) == [1, 2]:
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.1)

    page.goto(f"/devportal/applications/{app_id}")
    rows = page.locator("#webhook-subscriptions .webhook")
    expect(rows).to_have_count(2)
    ok = rows.filter(has_text="https://client.example.com/hook")
    expect(ok).to_contain_text("OrderHooks")
    expect(ok).to_contain_text("/orders")
    expect(ok.locator(".lease")).to_have_text("2026-12-07 10:00 UTC")
    expect(ok.locator(".delivered")).to_have_text("2026-12-06 10:05 UTC")
    expect(ok.locator(".status")).to_have_text("Delivered")
    failed = rows.filter(has_text="https://other.example.com/cb")
    expect(failed.locator(".status")).to_have_text("Failed")
    expect(failed.locator(".delivered")).to_have_text("2026-12-06 10:06 UTC")
    screenshot(page, "12-webhook-subscriptions")
