"""Publisher access control: an API restricted to roles is invisible to, and untouchable by, others."""

from __future__ import annotations

from typing import Any

import pytest

from tests.publisher_api.conftest import BASE, PIZZA, PUBLISHER_SCOPES, Publisher, edit_project

TEAM_A = {"user": "alice", "roles": ["teamA"]}
TEAM_B = {"user": "bob", "roles": ["teamB"]}
RESTRICTED = {"accessControl": "RESTRICTED", "accessControlRoles": ["teamA"]}
RESTRICTED_PIZZA = {**PIZZA, **RESTRICTED}


async def restricted_api(publisher: Publisher) -> dict[str, Any]:
    return await publisher.create_api(RESTRICTED, **TEAM_A)


async def test_a_restricted_api_is_missing_from_the_list_of_a_publisher_without_its_role(
    publisher: Publisher,
) -> None:
    api = await restricted_api(publisher)
    await publisher.create_api({"name": "Open", "context": "/open"}, **TEAM_B)
    outsider = await publisher.client.get(f"{BASE}/apis", headers=publisher.auth(**TEAM_B))
    assert [a["name"] for a in outsider.json()["list"]] == ["Open"]
    assert outsider.json()["pagination"]["total"] == 1
    member = await publisher.client.get(f"{BASE}/apis", headers=publisher.auth(**TEAM_A))
    assert api["id"] in [a["id"] for a in member.json()["list"]]


async def test_a_restricted_api_is_missing_from_the_search_of_a_publisher_without_its_role(
    publisher: Publisher,
) -> None:
    await restricted_api(publisher)
    found = await publisher.client.get(
        f"{BASE}/search", params={"query": "Pizza"}, headers=publisher.auth(**TEAM_B)
    )
    assert found.status_code == 200
    assert found.json()["count"] == 0


async def test_a_publisher_without_the_role_reads_a_restricted_api_as_404(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    response = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_B))
    assert response.status_code == 404
    assert response.json()["code"] == 900310


async def test_a_publisher_without_the_role_cannot_update_a_restricted_api(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    changed = {**api, "description": "taken over", "accessControl": "NONE", "accessControlRoles": []}
    response = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json=changed, headers=publisher.auth(**TEAM_B)
    )
    assert response.status_code == 404
    kept = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_A))
    assert kept.json()["accessControl"] == "RESTRICTED"
    assert kept.json().get("description") != "taken over"


async def test_a_publisher_without_the_role_cannot_delete_a_restricted_api(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    response = await publisher.client.delete(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_B))
    assert response.status_code == 404
    still = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_A))
    assert still.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("POST", "/apis/change-lifecycle", {"action": "Publish"}, None),
        ("GET", "/apis/{id}/lifecycle-history", None, None),
        ("POST", "/apis/{id}/revisions", None, {"description": "mine"}),
        ("GET", "/apis/{id}/revisions", None, None),
        ("GET", "/apis/{id}/deployments", None, None),
        ("POST", "/apis/{id}/documents", None, {"name": "Leak", "type": "HOWTO", "sourceType": "INLINE"}),
        ("GET", "/apis/{id}/documents", None, None),
        ("GET", "/apis/{id}/operation-policies", None, None),
        ("GET", "/apis/{id}/swagger", None, None),
        ("POST", "/apis/copy-api", {"newVersion": "2.0.0"}, None),
        ("GET", "/subscriptions", None, None),
    ],
)
async def test_every_operation_on_a_restricted_api_is_404_to_a_publisher_without_the_role(
    publisher: Publisher, method: str, path: str, params: dict[str, str] | None, body: Any
) -> None:
    api = await restricted_api(publisher)
    query = {**(params or {}), "apiId": api["id"]} if "{id}" not in path else params
    response = await publisher.client.request(
        method,
        f"{BASE}{path.replace('{id}', api['id'])}",
        params=query,
        json=body,
        headers=publisher.auth(**TEAM_B),
    )
    assert response.status_code == 404, response.text
    revisions = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/revisions", headers=publisher.auth(**TEAM_A)
    )
    assert revisions.json()["count"] == 0
    state = await publisher.client.get(
        f"{BASE}/apis/{api['id']}/lifecycle-state", headers=publisher.auth(**TEAM_A)
    )
    assert state.json()["state"].upper() == "CREATED"


async def test_a_restricted_api_is_not_exported_by_name_to_a_publisher_without_the_role(
    publisher: Publisher,
) -> None:
    await restricted_api(publisher)
    response = await publisher.client.get(
        f"{BASE}/apis/export",
        params={"name": "Pizza Shack", "version": "1.0.0"},
        headers=publisher.auth([*PUBLISHER_SCOPES, "apim:api_import_export"], **TEAM_B),
    )
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/json")


async def test_role_names_match_whatever_their_case(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    response = await publisher.client.get(
        f"{BASE}/apis/{api['id']}", headers=publisher.auth(user="carol", roles=["TEAMA"])
    )
    assert response.status_code == 200


async def test_an_apim_admin_sees_and_changes_a_restricted_api_without_its_role(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    admin = publisher.auth([*PUBLISHER_SCOPES, "apim:admin"], user="root", roles=["ops"])
    assert (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=admin)).status_code == 200
    listed = await publisher.client.get(f"{BASE}/apis", headers=admin)
    assert api["id"] in [a["id"] for a in listed.json()["list"]]


async def test_restricting_an_api_to_roles_the_creator_does_not_hold_is_400_900610(
    publisher: Publisher,
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**RESTRICTED_PIZZA, "accessControlRoles": ["teamB"]},
        headers=publisher.auth(**TEAM_A),
    )
    assert response.status_code == 400
    assert response.json()["code"] == 900610


async def test_restricting_an_api_without_any_role_is_400(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**RESTRICTED_PIZZA, "accessControlRoles": []},
        headers=publisher.auth(**TEAM_A),
    )
    assert response.status_code == 400
    assert response.json()["code"] == 900610


async def test_an_update_that_locks_its_author_out_is_400_and_changes_nothing(publisher: Publisher) -> None:
    api = await restricted_api(publisher)
    changed = {**api, "accessControlRoles": ["teamB"]}
    response = await publisher.client.put(
        f"{BASE}/apis/{api['id']}", json=changed, headers=publisher.auth(**TEAM_A)
    )
    assert response.status_code == 400
    assert response.json()["code"] == 900610
    kept = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_A))
    assert kept.json()["accessControlRoles"] == ["teamA"]


async def test_a_restricted_product_is_404_to_a_publisher_without_its_role(publisher: Publisher) -> None:
    member = await publisher.create_api(**TEAM_A)
    body = {
        "name": "Lunch",
        "context": "/lunch",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "apis": [{"apiId": member["id"], "operations": [{"target": "/menu", "verb": "GET"}]}],
        **RESTRICTED,
    }
    created = await publisher.client.post(f"{BASE}/api-products", json=body, headers=publisher.auth(**TEAM_A))
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]
    outsider = publisher.auth(**TEAM_B)
    assert (
        await publisher.client.get(f"{BASE}/api-products/{product_id}", headers=outsider)
    ).status_code == 404
    assert (
        await publisher.client.delete(f"{BASE}/api-products/{product_id}", headers=outsider)
    ).status_code == 404
    listed = await publisher.client.get(f"{BASE}/api-products", headers=outsider)
    assert listed.json()["count"] == 0


async def test_a_product_cannot_take_operations_of_an_api_its_creator_cannot_see(
    publisher: Publisher,
) -> None:
    hidden = await restricted_api(publisher)
    body = {
        "name": "Lunch",
        "context": "/lunch",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "apis": [{"apiId": hidden["id"], "operations": [{"target": "/menu", "verb": "GET"}]}],
    }
    response = await publisher.client.post(
        f"{BASE}/api-products", json=body, headers=publisher.auth(**TEAM_B)
    )
    assert response.status_code == 400


@pytest.mark.parametrize("tenant", [{"tenant": "acme.com"}, {}])
async def test_the_provider_changes_only_for_an_admin_of_the_apis_tenant(
    publisher: Publisher, tenant: dict[str, str]
) -> None:
    api = await publisher.create_api()
    response = await publisher.client.post(
        f"{BASE}/internal/apis/{api['id']}/change-provider",
        params={"provider": "mallory@acme.com", **tenant},
        headers=publisher.internal(),
    )
    assert response.status_code in (400, 404)
    kept = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())
    assert kept.json()["provider"] == "admin"


async def test_the_usage_of_a_shared_scope_leaves_out_apis_the_caller_cannot_see(
    publisher: Publisher,
) -> None:
    manage = ["apim:shared_scope_manage", *PUBLISHER_SCOPES]
    scope = (
        await publisher.client.post(
            f"{BASE}/scopes", json={"name": "orders:write"}, headers=publisher.auth(manage, **TEAM_A)
        )
    ).json()
    await publisher.create_api(
        {
            **RESTRICTED,
            "scopes": [{"scope": {"name": "orders:write"}, "shared": True}],
            "operations": [{"target": "/orders", "verb": "POST", "scopes": ["orders:write"]}],
        },
        **TEAM_A,
    )
    outsider = await publisher.client.get(
        f"{BASE}/scopes/{scope['id']}/usage", headers=publisher.auth(manage, **TEAM_B)
    )
    assert outsider.json() == {"count": 0, "usedApiList": []}
    member = await publisher.client.get(
        f"{BASE}/scopes/{scope['id']}/usage", headers=publisher.auth(manage, **TEAM_A)
    )
    assert member.json()["count"] == 1


async def test_an_import_cannot_overwrite_a_restricted_api_its_importer_cannot_see(
    publisher: Publisher,
) -> None:
    api = await restricted_api(publisher)
    exported = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": api["id"]}, headers=publisher.auth(**TEAM_A)
    )
    assert exported.status_code == 200, exported.text
    archive = edit_project(
        exported.content,
        "api.yaml",
        lambda data: data.update(description="taken over", accessControl="NONE", accessControlRoles=[]),
    )
    response = await publisher.client.post(
        f"{BASE}/apis/import",
        params={"overwrite": "true"},
        files={"file": ("project.zip", archive, "application/zip")},
        headers=publisher.auth(["apim:api_import_export", "apim:api_view"], **TEAM_B),
    )
    assert response.status_code == 404, response.text
    kept = await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth(**TEAM_A))
    assert kept.json()["accessControl"] == "RESTRICTED"
    assert kept.json().get("description") != "taken over"
