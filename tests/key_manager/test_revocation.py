"""No token is stored; revoked and used refresh tokens read inactive; revocations go to gateways."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from apim_common.events import CloudEvent
from apim_common.events.topics import Topic
from tests.key_manager.conftest import KeyManagerClient, basic


async def _introspect(km: KeyManagerClient, client: dict[str, Any], token: str) -> dict[str, Any]:
    r = await km.http.post(
        "/oauth2/introspect", data={"token": token}, headers=basic(client["clientId"], client["clientSecret"])
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _watch(km: KeyManagerClient) -> list[CloudEvent]:
    seen: list[CloudEvent] = []

    async def record(event: CloudEvent) -> None:
        seen.append(event)

    km.bus.subscribe([Topic.TOKEN_REVOCATIONS], "test-gateway", record)
    return seen


async def test_a_fresh_access_token_is_active_with_its_claims(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:api_view")
    info = await _introspect(km, client, body["access_token"])
    assert info["active"] is True
    assert info["scope"] == "apim:api_view"
    assert info["client_id"] == client["clientId"]
    assert info["username"] == "admin@carbon.super"


async def test_introspection_needs_authentication(km: KeyManagerClient) -> None:
    r = await km.http.post("/oauth2/introspect", data={"token": "x"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_a_garbage_token_is_inactive(km: KeyManagerClient) -> None:
    client = await km.register()
    assert await _introspect(km, client, "not-a-token") == {"active": False}


async def test_a_revoked_access_token_is_inactive_and_announced(km: KeyManagerClient) -> None:
    seen = await _watch(km)
    client = await km.register()
    body = await km.password_token(client, "admin", "admin")
    r = await km.http.post(
        "/oauth2/revoke",
        data={"token": body["access_token"]},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 200
    assert (await _introspect(km, client, body["access_token"]))["active"] is False
    await km.flush_events()
    revoked = [e for e in seen if e.type == "token.revoked"]
    assert len(revoked) == 1
    assert revoked[0].data["expiresAt"] > 0
    assert revoked[0].subject == revoked[0].data["jti"]


async def test_a_used_refresh_token_is_inactive_and_cannot_be_used_again(km: KeyManagerClient) -> None:
    client = await km.register()
    first = await km.password_token(client, "admin", "admin", "apim:api_view")
    assert (await _introspect(km, client, first["refresh_token"]))["active"] is True
    r = await km.token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["scope"] == "apim:api_view"
    assert second["refresh_token"] != first["refresh_token"]
    assert (await _introspect(km, client, first["refresh_token"]))["active"] is False
    assert (await _introspect(km, client, first["access_token"]))["active"] is False
    assert (await _introspect(km, client, second["access_token"]))["active"] is True
    again = await km.token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_refresh_token_of_another_client_is_refused(km: KeyManagerClient) -> None:
    mine, theirs = await km.register("mine"), await km.register("theirs")
    body = await km.password_token(mine, "admin", "admin")
    r = await km.token(theirs, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_a_refresh_token_is_not_accepted_as_a_bearer_token(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:admin")
    r = await km.http.get("/scim2/Users", headers={"Authorization": f"Bearer {body['refresh_token']}"})
    assert r.status_code == 401


async def test_no_table_holds_issued_tokens(km: KeyManagerClient) -> None:
    def columns(connection: Any) -> dict[str, list[str]]:
        inspector = inspect(connection)
        return {t: [c["name"] for c in inspector.get_columns(t)] for t in inspector.get_table_names()}

    async with km.app.state.database.engine.connect() as connection:
        schema = await connection.run_sync(columns)
    assert "revoked_tokens" in schema
    for table, names in schema.items():
        for name in names:
            assert "access_token" not in name, (table, name)
            assert "refresh_token" not in name, (table, name)
    assert schema["revoked_tokens"] == ["jti", "expires_at"]
    assert not any("token" in t for t in schema if t != "revoked_tokens")


async def test_a_jwt_bearer_assertion_of_ours_gets_a_token_for_its_subject(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:api_view apim:api_create")
    r = await km.token(
        client,
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=body["access_token"],
        scope="apim:api_view",
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "apim:api_view"


async def test_a_jwt_bearer_assertion_from_an_untrusted_issuer_is_invalid_grant(
    km: KeyManagerClient, tokens: Any
) -> None:
    client = await km.register()
    foreign = tokens.mint("admin", iss="https://evil.example/token")
    r = await km.token(client, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=foreign)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_deleting_a_user_announces_a_revoked_before_rule(km: KeyManagerClient) -> None:
    seen = await _watch(km)
    user = await km.create_user("olga", "pw-olga", [])
    r = await km.http.delete(f"/scim2/Users/{user['id']}", headers=basic("admin", "admin"))
    assert r.status_code == 204
    await km.flush_events()
    rules = [e for e in seen if e.type == "tokens.revoked-before"]
    assert [e.data["username"] for e in rules] == ["olga@carbon.super"]
    assert rules[0].data["before"] > 0
