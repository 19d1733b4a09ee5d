"""A deactivated tenant: its users and clients get no tokens, its tokens are refused, and every
service hears of it on the token-revocations topic and in the revocation snapshot."""

from __future__ import annotations

from typing import Any

import jwt

from apim_common.events import CloudEvent
from apim_common.events.topics import Topic
from apim_common.revocations import SNAPSHOT_PATH
from tests.key_manager.conftest import KeyManagerClient, basic

INTERNAL = "/api/am/keymanager/v1/internal"
ACME = {"domain": "acme.com", "adminUsername": "boss", "adminPassword": "pw-boss"}


async def _acme(km: KeyManagerClient) -> dict[str, Any]:
    """The tenant acme.com and a client of its admin."""
    r = await km.http.post(f"{INTERNAL}/tenants", json=ACME, headers=await km.service_headers())
    assert r.status_code == 201, r.text
    return await km.register("acme_tools", owner="boss@acme.com", auth=("boss@acme.com", "pw-boss"))


async def _set_status(km: KeyManagerClient, status: str, domain: str = "acme.com") -> Any:
    return await km.http.put(
        f"{INTERNAL}/tenants/{domain}/status", json={"status": status}, headers=await km.service_headers()
    )


async def test_an_inactive_tenants_user_gets_no_token_with_the_right_password(km: KeyManagerClient) -> None:
    client = await _acme(km)
    assert (await _set_status(km, "INACTIVE")).status_code == 200
    r = await km.token(
        client, grant_type="password", username="boss@acme.com", password="pw-boss", scope="apim:api_view"
    )
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "Authentication failed for boss@acme.com",
    }


async def test_an_inactive_tenants_user_is_refused_with_basic_credentials(km: KeyManagerClient) -> None:
    await _acme(km)
    assert (await km.http.get("/scim2/Users", headers=basic("boss@acme.com", "pw-boss"))).status_code == 200
    await _set_status(km, "INACTIVE")
    assert (await km.http.get("/scim2/Users", headers=basic("boss@acme.com", "pw-boss"))).status_code == 401


async def test_a_gateway_is_told_an_inactive_tenants_basic_credentials_are_invalid(
    km: KeyManagerClient,
) -> None:
    await _acme(km)
    await _set_status(km, "INACTIVE")
    r = await km.http.post(
        f"{INTERNAL}/basic-auth",
        json={"username": "boss", "password": "pw-boss", "tenant": "acme.com"},
        headers=await km.service_headers(),
    )
    assert r.json() == {
        "valid": False,
        **{k: None for k in ("username", "tenant", "subject")},
        "roles": [],
        "scopes": [],
    }


async def test_an_inactive_tenants_client_gets_no_client_credentials_token(km: KeyManagerClient) -> None:
    client = await _acme(km)
    await _set_status(km, "INACTIVE")
    r = await km.token(client, grant_type="client_credentials")
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"


async def test_a_refresh_token_of_an_inactive_tenant_gives_nothing(km: KeyManagerClient) -> None:
    client = await _acme(km)
    issued = await km.password_token(client, "boss@acme.com", "pw-boss")
    await _set_status(km, "INACTIVE")
    r = await km.token(client, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"


async def test_a_token_issued_before_deactivation_is_refused_by_the_key_manager(km: KeyManagerClient) -> None:
    client = await _acme(km)
    issued = await km.password_token(client, "boss@acme.com", "pw-boss", "apim:admin")
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert (await km.http.get("/scim2/Users", headers=bearer)).status_code == 200
    await _set_status(km, "INACTIVE")
    assert (await km.http.get("/scim2/Users", headers=bearer)).status_code == 401
    introspected = await km.http.post(
        "/oauth2/introspect",
        data={"token": issued["access_token"]},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert introspected.json() == {"active": False}


async def test_a_reactivated_tenant_gets_tokens_again(km: KeyManagerClient) -> None:
    client = await _acme(km)
    await _set_status(km, "INACTIVE")
    assert (await _set_status(km, "ACTIVE")).json() == {"domain": "acme.com", "status": "ACTIVE"}
    await km.password_token(client, "boss@acme.com", "pw-boss")


async def test_deactivation_and_reactivation_go_out_on_the_token_revocations_topic(
    km: KeyManagerClient,
) -> None:
    seen: list[CloudEvent] = []

    async def record(event: CloudEvent) -> None:
        seen.append(event)

    km.bus.subscribe([Topic.TOKEN_REVOCATIONS], "test-watch", record)
    await _acme(km)
    await _set_status(km, "INACTIVE")
    await _set_status(km, "INACTIVE")  # no change, no event
    await _set_status(km, "ACTIVE")
    await km.flush_events()
    assert [(e.type, e.data["domain"], e.tenant) for e in seen] == [
        ("tenant.deactivated", "acme.com", "acme.com"),
        ("tenant.activated", "acme.com", "acme.com"),
    ]


async def test_the_super_tenant_cannot_be_deactivated(km: KeyManagerClient) -> None:
    r = await _set_status(km, "INACTIVE", domain="carbon.super")
    assert r.status_code == 400
    await km.password_token(await km.register(), "admin", "admin")


async def test_only_services_change_a_tenants_status(km: KeyManagerClient) -> None:
    await _acme(km)
    r = await km.http.put(
        f"{INTERNAL}/tenants/acme.com/status",
        json={"status": "INACTIVE"},
        headers=await km.admin_headers("apim:admin"),
    )
    assert r.status_code == 403
    await km.password_token(await km.register(), "admin", "admin")


async def test_the_revocation_snapshot_holds_what_is_refused_now(km: KeyManagerClient) -> None:
    await _acme(km)
    await _set_status(km, "INACTIVE")
    client = await km.register()
    issued = await km.password_token(client, "admin", "admin")
    r = await km.http.post(
        "/oauth2/revoke",
        data={"token": issued["access_token"]},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 200
    zoe = await km.create_user("zoe", "pw-zoe", ["Internal/subscriber"])
    assert (
        await km.http.delete(f"/scim2/Users/{zoe['id']}", headers=basic("admin", "admin"))
    ).status_code == 204
    snapshot = (await km.http.get(SNAPSHOT_PATH, headers=await km.service_headers())).json()
    assert snapshot["inactiveTenants"] == ["acme.com"]
    assert [t["jti"] for t in snapshot["revokedTokens"]] == [_jti(issued["access_token"])]
    assert {"username": "zoe@carbon.super"}.items() <= next(
        rule for rule in snapshot["rules"] if rule.get("username") == "zoe@carbon.super"
    ).items()


async def test_the_revocation_snapshot_is_for_services_only(km: KeyManagerClient) -> None:
    assert (await km.http.get(SNAPSHOT_PATH, headers=await km.admin_headers())).status_code == 403
    assert (await km.http.get(SNAPSHOT_PATH)).status_code == 401


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])
