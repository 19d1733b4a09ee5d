"""Scopes come from the holder's roles: what a role does not allow is silently dropped."""

from __future__ import annotations

import jwt

from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from tests.key_manager.conftest import KeyManagerClient


async def test_a_subscriber_does_not_get_api_create(km: KeyManagerClient) -> None:
    await km.create_user("sub1", "pw-sub1", ["Internal/subscriber"])
    client = await km.register()
    body = await km.password_token(client, "sub1", "pw-sub1", "apim:api_create apim:subscribe")
    assert body["scope"] == "apim:subscribe"


async def test_admin_gets_api_create(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:api_create apim:admin")
    assert body["scope"] == "apim:api_create apim:admin"


async def test_a_creator_gets_create_but_not_publish(km: KeyManagerClient) -> None:
    await km.create_user("carol", "pw-carol", ["Internal/creator"])
    client = await km.register()
    body = await km.password_token(
        client, "carol", "pw-carol", "apim:api_create apim:api_publish apim:api_view"
    )
    assert body["scope"] == "apim:api_create apim:api_view"


async def test_no_requested_scope_gives_default(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin")
    assert body["scope"] == "default"


async def test_only_disallowed_scopes_give_default(km: KeyManagerClient) -> None:
    await km.create_user("sub2", "pw-sub2", ["Internal/subscriber"])
    client = await km.register()
    body = await km.password_token(client, "sub2", "pw-sub2", "apim:admin")
    assert body["scope"] == "default"


async def test_nobody_but_the_internal_client_gets_apim_internal(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:internal apim:api_view")
    assert body["scope"] == "apim:api_view"


async def test_client_credentials_token_acts_for_the_owner_with_default_scope(km: KeyManagerClient) -> None:
    client = await km.register("app1")
    r = await km.token(client, grant_type="client_credentials")
    assert r.status_code == 200
    body = r.json()
    assert body["scope"] == "default"
    assert "refresh_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "admin@carbon.super"
    assert claims["azp"] == client["clientId"]
    assert claims["aud"] == client["clientId"]


async def test_client_credentials_scopes_follow_the_owners_roles(km: KeyManagerClient) -> None:
    await km.create_user("dave", "pw-dave", ["Internal/subscriber"])
    client = await km.register("daves_app", owner="dave", auth=("dave", "pw-dave"))
    r = await km.token(client, grant_type="client_credentials", scope="apim:subscribe apim:api_create")
    assert r.json()["scope"] == "apim:subscribe"


async def test_a_system_scopes_event_changes_the_map_once(km: KeyManagerClient) -> None:
    await km.create_user("pub", "pw-pub", ["Internal/publisher"])
    client = await km.register()
    event = new_event(
        "admin",
        "system-scopes.updated",
        "carbon.super",
        {
            "scopes": [
                {"name": "apim:api_view", "roles": ["admin"]},
                {"name": "apim:api_create", "roles": ["admin", "team-publishers"]},
            ],
            "roleAliases": [{"role": "team-publishers", "aliases": ["Internal/publisher"]}],
        },
    )
    await km.bus.publish(Topic.SYSTEM_SCOPES, event)
    await km.bus.publish(Topic.SYSTEM_SCOPES, event)  # redelivered
    await km.bus.drain()
    body = await km.password_token(client, "pub", "pw-pub", "apim:api_view apim:api_create")
    assert body["scope"] == "apim:api_create"
