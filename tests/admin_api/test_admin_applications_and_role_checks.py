"""Admin GET/DELETE /applications/{applicationId} and the HEAD role, scope and tenant checks of the
Admin and Publisher APIs, over HTTP on the standalone platform with its gateway."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.support.standalone import (
    ADMIN,
    DEVPORTAL,
    PUBLISHER,
    Standalone,
    bearer,
    eventually,
    shared_platform,
)

pytestmark = pytest.mark.timeout(120)


def b64(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def platform(request: pytest.FixtureRequest) -> dict[str, Any]:
    shared = shared_platform(request)
    token = shared.admin_token
    api_id = shared.platform.published_api(token, shared.backend, "AdminAppsAPI", "/adminapps")
    return {"s": shared.platform, "token": token, "api": api_id}


def test_an_administrator_reads_an_application_of_the_tenant_without_its_keys(
    platform: dict[str, Any],
) -> None:
    s: Standalone = platform["s"]
    app = s.subscribed_app(platform["token"], platform["api"], "ReadByAdmin")
    r = s.control.get(f"{ADMIN}/applications/{app['applicationId']}", headers=bearer(platform["token"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["owner"], body["subscriptionCount"]) == ("ReadByAdmin", "admin", 1)
    assert "keys" not in body
    assert app["consumerSecret"] not in r.text
    missing = s.control.get(f"{ADMIN}/applications/no-such-app", headers=bearer(platform["token"]))
    assert missing.status_code == 404


def test_admin_application_reads_need_an_admin_scope(platform: dict[str, Any]) -> None:
    s: Standalone = platform["s"]
    subscriber = s.token(scopes="apim:subscribe")
    assert s.control.get(f"{ADMIN}/applications/anything", headers=bearer(subscriber)).status_code == 403
    assert s.control.delete(f"{ADMIN}/applications/anything", headers=bearer(subscriber)).status_code == 403


def test_an_administrators_delete_removes_the_application_and_its_keys_stop_at_the_gateway(
    platform: dict[str, Any],
) -> None:
    s: Standalone = platform["s"]
    auth = bearer(platform["token"])
    app = s.subscribed_app(platform["token"], platform["api"], "DeletedByAdmin")
    token = s.app_token(app).json()["access_token"]
    called = eventually(
        lambda: s.gateway.get("/adminapps/1.0.0/menu", headers=bearer(token)), lambda r: r.status_code == 200
    )
    assert called.status_code == 200, called.text

    r = s.control.delete(f"{ADMIN}/applications/{app['applicationId']}", headers=auth)
    assert r.status_code == 200, r.text
    assert s.control.get(f"{DEVPORTAL}/applications/{app['applicationId']}", headers=auth).status_code == 404
    subscriptions = s.control.get(
        f"{DEVPORTAL}/subscriptions", params={"apiId": platform["api"]}, headers=auth
    )
    assert app["subscriptionId"] not in subscriptions.text
    refused = eventually(
        lambda: s.gateway.get("/adminapps/1.0.0/menu", headers=bearer(token)), lambda r: r.status_code != 200
    )
    assert refused.status_code in (401, 403), refused.text
    assert s.app_token(app).status_code in (400, 401)


def test_head_roles_answer_whether_the_role_exists_in_admin_and_publisher(platform: dict[str, Any]) -> None:
    s: Standalone = platform["s"]
    auth = bearer(platform["token"])
    for base in (ADMIN, PUBLISHER):
        assert s.control.head(f"{base}/roles/{b64('Internal/subscriber')}", headers=auth).status_code == 200
        assert s.control.head(f"{base}/roles/{b64('admin')}", headers=auth).status_code == 200
        assert s.control.head(f"{base}/roles/{b64('no-such-role')}", headers=auth).status_code == 404
    assert s.control.head(f"{PUBLISHER}/me/roles/{b64('admin')}", headers=auth).status_code == 200
    assert s.control.head(f"{PUBLISHER}/me/roles/{b64('Internal/creator')}", headers=auth).status_code == 404
    viewer = bearer(s.token(scopes="apim:api_view"))
    assert s.control.head(f"{PUBLISHER}/roles/{b64('admin')}", headers=viewer).status_code == 403


def test_head_scopes_and_tenants_answer_whether_they_exist(platform: dict[str, Any]) -> None:
    s: Standalone = platform["s"]
    auth = bearer(platform["token"])
    created = s.control.post(
        f"{PUBLISHER}/scopes", json={"name": "orders_read", "bindings": []}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert s.control.head(f"{PUBLISHER}/scopes/{b64('orders_read')}", headers=auth).status_code == 200
    assert s.control.head(f"{PUBLISHER}/scopes/{b64('orders_write')}", headers=auth).status_code == 404
    assert s.control.head(f"{PUBLISHER}/tenants/carbon.super", headers=auth).status_code == 200
    assert s.control.head(f"{PUBLISHER}/tenants/nowhere.example", headers=auth).status_code == 404


def test_a_tenant_administrator_sees_neither_another_tenants_application_nor_its_roles(
    platform: dict[str, Any],
) -> None:
    s: Standalone = platform["s"]
    auth = bearer(platform["token"])
    tenant = {
        "domain": "isolated.example",
        "adminUsername": "root",
        "adminPassword": "root-pass",
        "email": "root@isolated.example",
    }
    created = s.control.post(f"{ADMIN}/tenants", json=tenant, headers=auth)
    assert created.status_code == 201, created.text
    known = eventually(
        lambda: s.control.head(f"{PUBLISHER}/tenants/isolated.example", headers=auth),
        lambda r: r.status_code == 200,
    )
    assert known.status_code == 200
    app = s.subscribed_app(platform["token"], platform["api"], "NotForOtherTenants")
    other = bearer(s.token("root@isolated.example", "root-pass"))
    assert s.control.get(f"{ADMIN}/applications/{app['applicationId']}", headers=other).status_code == 404
    assert s.control.delete(f"{ADMIN}/applications/{app['applicationId']}", headers=other).status_code == 404
    assert s.control.get(f"{ADMIN}/applications/{app['applicationId']}", headers=auth).status_code == 200
