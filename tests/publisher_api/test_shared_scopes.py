"""Shared scopes: defined once, used by APIs, protected while in use."""

from __future__ import annotations

from tests.publisher_api.conftest import BASE, Publisher

MANAGE = ["apim:shared_scope_manage", "apim:api_view", "apim:api_create", "apim:api_manage"]


async def test_a_shared_scope_is_created_used_and_protected_while_used(publisher: Publisher) -> None:
    auth = publisher.auth(MANAGE)
    created = await publisher.client.post(
        f"{BASE}/scopes",
        json={"name": "orders:write", "displayName": "Write orders", "bindings": ["admin"]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    scope = created.json()
    assert (
        await publisher.client.post(f"{BASE}/scopes", json={"name": "orders:write"}, headers=auth)
    ).status_code == 409
    api = await publisher.create_api(
        {
            "scopes": [{"scope": {"name": "orders:write", "bindings": ["admin"]}, "shared": True}],
            "operations": [{"target": "/orders", "verb": "POST", "scopes": ["orders:write"]}],
        }
    )
    usage = await publisher.client.get(f"{BASE}/scopes/{scope['id']}/usage", headers=auth)
    assert usage.json()["usedApiList"][0]["id"] == api["id"]
    assert usage.json()["usedApiList"][0]["usedResourceList"] == [{"target": "/orders", "verb": "POST"}]
    assert (await publisher.client.get(f"{BASE}/scopes/{scope['id']}", headers=auth)).json()[
        "usageCount"
    ] == 1
    changed = await publisher.client.put(
        f"{BASE}/scopes/{scope['id']}",
        json={"name": "orders:write", "bindings": ["admin", "clerk"]},
        headers=auth,
    )
    assert changed.json()["bindings"] == ["admin", "clerk"]
    refreshed = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=auth)
    assert refreshed.json()["scopes"][0]["scope"]["bindings"] == ["admin", "clerk"]
    assert (await publisher.client.delete(f"{BASE}/scopes/{scope['id']}", headers=auth)).status_code == 409
    await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=auth)
    assert (await publisher.client.delete(f"{BASE}/scopes/{scope['id']}", headers=auth)).status_code == 200
    listed = await publisher.client.get(f"{BASE}/scopes", headers=auth)
    assert listed.json()["count"] == 0


async def test_shared_scopes_need_the_manage_scope_to_change(publisher: Publisher) -> None:
    viewer = publisher.auth(["apim:api_view"])
    assert (await publisher.client.get(f"{BASE}/scopes", headers=viewer)).status_code == 200
    assert (
        await publisher.client.post(f"{BASE}/scopes", json={"name": "x"}, headers=viewer)
    ).status_code == 403
