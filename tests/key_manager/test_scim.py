"""SCIM 2.0 users and groups, for administrators only, with SCIM's error shape."""

from __future__ import annotations

from typing import Any

import jwt

from tests.key_manager.conftest import KeyManagerClient, basic

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def test_a_created_user_can_be_read_and_found_by_username(km: KeyManagerClient) -> None:
    created = await km.create_user("frank", "pw-frank", ["Internal/subscriber"])
    assert created["userName"] == "frank"
    assert created["roles"] == [{"value": "Internal/subscriber"}]
    r = await km.http.get(f"/scim2/Users/{created['id']}", headers=basic("admin", "admin"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/scim+json")
    found = await km.http.get(
        "/scim2/Users", params={"filter": 'userName eq "frank"'}, headers=basic("admin", "admin")
    )
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == created["id"]


async def test_passwords_are_stored_hashed(km: KeyManagerClient) -> None:
    from sqlalchemy import text

    await km.create_user("gina", "pw-gina-secret", [])
    async with km.app.state.database.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT password_hash FROM users WHERE username='gina'"))
        ).scalar()
    assert stored.startswith("$argon2")
    assert "pw-gina-secret" not in stored


async def test_a_duplicate_user_is_409_in_the_scim_shape(km: KeyManagerClient) -> None:
    await km.create_user("hank", "pw", [])
    r = await km.http.post(
        "/scim2/Users", json={"userName": "hank", "password": "pw"}, headers=basic("admin", "admin")
    )
    assert r.status_code == 409
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert r.json()["status"] == "409"


async def test_a_duplicate_user_named_outside_ascii_is_409(km: KeyManagerClient) -> None:
    await km.create_user("Ölaf", "pw", [])
    r = await km.http.post(
        "/scim2/Users", json={"userName": "Ölaf", "password": "pw"}, headers=basic("admin", "admin")
    )
    assert r.status_code == 409, r.text


async def test_an_unsupported_filter_is_400_invalid_filter(km: KeyManagerClient) -> None:
    r = await km.http.get("/scim2/Users", params={"filter": "password pr"}, headers=basic("admin", "admin"))
    assert r.status_code == 400
    assert r.json()["scimType"] == "invalidFilter"


async def test_a_non_admin_cannot_manage_users(km: KeyManagerClient) -> None:
    await km.create_user("ivy", "pw-ivy", ["Internal/subscriber"])
    r = await km.http.get("/scim2/Users", headers=basic("ivy", "pw-ivy"))
    assert r.status_code == 403
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    anonymous = await km.http.get("/scim2/Users")
    assert anonymous.status_code == 401


async def test_an_admin_bearer_token_manages_users(km: KeyManagerClient) -> None:
    r = await km.http.get("/scim2/Users", headers=await km.admin_headers("apim:admin"))
    assert r.status_code == 200
    assert r.json()["totalResults"] >= 1
    weak = await km.http.get("/scim2/Users", headers=await km.admin_headers("apim:api_view"))
    assert weak.status_code == 403


async def test_patching_roles_changes_scopes_and_revokes_old_tokens(km: KeyManagerClient) -> None:
    user = await km.create_user("jack", "pw-jack", ["Internal/subscriber"])
    client = await km.register()
    before = await km.password_token(client, "jack", "pw-jack", "apim:api_create")
    assert before["scope"] == "default"
    r = await km.http.patch(
        f"/scim2/Users/{user['id']}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "add", "path": "roles", "value": [{"value": "Internal/creator"}]}],
        },
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 200
    assert {x["value"] for x in r.json()["roles"]} == {"Internal/subscriber", "Internal/creator"}
    after = await km.password_token(client, "jack", "pw-jack", "apim:api_create")
    assert after["scope"] == "apim:api_create"
    info = await km.http.post(
        "/oauth2/introspect",
        data={"token": before["access_token"]},
        auth=(client["clientId"], client["clientSecret"]),
    )
    assert info.json()["active"] is False


async def test_group_membership_gives_the_groups_role(km: KeyManagerClient) -> None:
    user = await km.create_user("kate", "pw-kate", [])
    r = await km.http.post(
        "/scim2/Groups",
        json={"displayName": "Internal/publisher", "members": [{"value": user["id"]}]},
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 201
    assert r.json()["members"][0]["display"] == "kate"
    client = await km.register()
    body = await km.password_token(client, "kate", "pw-kate", "apim:api_publish")
    assert body["scope"] == "apim:api_publish"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert "Internal/publisher" in claims["roles"]
    listed = await km.http.get(
        "/scim2/Groups",
        params={"filter": 'displayName eq "Internal/publisher"'},
        headers=basic("admin", "admin"),
    )
    assert listed.json()["totalResults"] == 1


async def test_removing_a_member_takes_the_role_away(km: KeyManagerClient) -> None:
    user = await km.create_user("liam", "pw-liam", [])
    group = (
        await km.http.post(
            "/scim2/Groups",
            json={"displayName": "Internal/creator", "members": [{"value": user["id"]}]},
            headers=basic("admin", "admin"),
        )
    ).json()
    r = await km.http.patch(
        f"/scim2/Groups/{group['id']}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}],
        },
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 200
    assert r.json()["members"] == []
    client = await km.register()
    assert (await km.password_token(client, "liam", "pw-liam", "apim:api_create"))["scope"] == "default"


async def test_a_deleted_user_cannot_sign_in(km: KeyManagerClient) -> None:
    user = await km.create_user("mia", "pw-mia", [])
    r = await km.http.delete(f"/scim2/Users/{user['id']}", headers=basic("admin", "admin"))
    assert r.status_code == 204
    client = await km.register()
    token = await km.token(client, grant_type="password", username="mia", password="pw-mia")
    assert token.status_code == 400
    gone = await km.http.get(f"/scim2/Users/{user['id']}", headers=basic("admin", "admin"))
    assert gone.status_code == 404


async def test_a_deactivated_user_cannot_sign_in(km: KeyManagerClient) -> None:
    user = await km.create_user("noah", "pw-noah", [])
    body: dict[str, Any] = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    r = await km.http.patch(f"/scim2/Users/{user['id']}", json=body, headers=basic("admin", "admin"))
    assert r.json()["active"] is False
    client = await km.register()
    token = await km.token(client, grant_type="password", username="noah", password="pw-noah")
    assert token.json()["error"] == "invalid_grant"
