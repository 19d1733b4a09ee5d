"""One role -> scope map: what admin-api answers is what the key manager grants, before and after a change."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

ROLES = ("Internal/creator", "Internal/publisher", "Internal/subscriber")
SYSTEM_SCOPES = "/api/am/admin/v4/system-scopes"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Granter:
    """A password-grant client and one user per resident role, to ask the key manager what it grants."""

    def __init__(self, control: httpx.Client) -> None:
        self.control = control
        suffix = uuid.uuid4().hex[:8]
        r = control.post(
            "/client-registration/v0.17/register",
            json={
                "clientName": f"scope_map_{suffix}",
                "owner": "admin",
                "grantType": "password client_credentials",
                "saasApp": True,
            },
            headers=basic("admin", "admin"),
        )
        assert r.status_code == 200, r.text
        self.client = basic(r.json()["clientId"], r.json()["clientSecret"])
        self.users: dict[str, str] = {}
        for role in ROLES:
            name = f"{role.split('/')[1]}_{suffix}"
            r = control.post(
                "/scim2/Users",
                json={"userName": name, "password": "pw-Scopes-1", "roles": [{"value": role}]},
                headers=basic("admin", "admin"),
            )
            assert r.status_code == 201, r.text
            self.users[role] = name

    def token(self, username: str, password: str, scopes: list[str]) -> dict[str, Any]:
        r = self.control.post(
            "/oauth2/token",
            data={
                "grant_type": "password",
                "username": username,
                "password": password,
                "scope": " ".join(scopes),
            },
            headers=self.client,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def granted(self, role: str, scopes: list[str]) -> set[str]:
        return set(self.token(self.users[role], "pw-Scopes-1", scopes)["scope"].split())


def admin_map(control: httpx.Client, token: str) -> dict[str, set[str]]:
    r = control.get(SYSTEM_SCOPES, headers=bearer(token))
    assert r.status_code == 200, r.text
    return {entry["name"]: set(entry["roles"]) for entry in r.json()["list"]}


def expected_grants(scope_map: dict[str, set[str]], role: str) -> set[str]:
    return {scope for scope, roles in scope_map.items() if role in roles} or {"default"}


@pytest.fixture(scope="module")
def granter(platform: Platform) -> Iterator[Granter]:
    with platform.control_client() as control:
        yield Granter(control)


@pytest.fixture(scope="module")
def admin_token(granter: Granter) -> str:
    return str(granter.token("admin", "admin", ["apim:scope_manage", "apim:admin"])["access_token"])


def test_a_fresh_platform_grants_each_role_exactly_the_scopes_admin_api_lists(
    control: httpx.Client, granter: Granter, admin_token: str
) -> None:
    scope_map = admin_map(control, admin_token)
    assert "apim:tier_view" in scope_map
    assert "Internal/subscriber" not in scope_map["apim:tier_view"]
    for role in ROLES:
        assert granter.granted(role, sorted(scope_map)) == expected_grants(scope_map, role), role


def test_a_change_through_put_system_scopes_is_what_the_key_manager_then_grants(
    control: httpx.Client, granter: Granter, admin_token: str
) -> None:
    original = admin_map(control, admin_token)
    changed = {**original, "apim:tier_view": original["apim:tier_view"] | {"Internal/subscriber"}}
    changed["apim:api_view"] = original["apim:api_view"] - {"Internal/creator"}

    def put(scope_map: dict[str, set[str]]) -> None:
        body = {
            "count": len(scope_map),
            "list": [{"name": name, "roles": sorted(roles)} for name, roles in sorted(scope_map.items())],
        }
        r = control.put(SYSTEM_SCOPES, json=body, headers=bearer(admin_token))
        assert r.status_code == 200, r.text

    put(changed)
    try:
        assert admin_map(control, admin_token) == changed
        deadline = time.monotonic() + 10
        while True:
            grants = {role: granter.granted(role, sorted(changed)) for role in ROLES}
            if all(grants[role] == expected_grants(changed, role) for role in ROLES):
                break
            assert time.monotonic() < deadline, f"the key manager still grants {grants}"
            time.sleep(0.2)
    finally:
        put(original)
