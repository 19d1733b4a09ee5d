"""OAuth keys through the key manager, key manager visibility (4.3), and API keys."""

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, generate_keys, subscribe


def _key_manager(
    name: str, roles: list[str], *, permission: str = "ALLOW", is_global: bool = False
) -> dict[str, object]:
    return {
        "id": f"km-{name}",
        "name": name,
        "type": "default",
        "enabled": True,
        "global": is_global,
        "availableGrantTypes": ["client_credentials", "password"],
        "permissions": {"permissionType": permission, "roles": roles},
    }


async def _names(portal: Portal, headers: dict[str, str]) -> list[str]:
    r = await portal.client.get(f"{BASE}/key-managers", headers=headers)
    assert r.status_code == 200, r.text
    return [k["name"] for k in r.json()["list"]]


async def test_a_hidden_key_manager_is_absent_from_the_list_and_refused_for_keys(portal: Portal) -> None:
    await portal.publish(
        "key-managers", "key-manager.created", "km-Partners", _key_manager("Partners", ["partner"])
    )
    h = portal.headers("alice", roles=["Internal/subscriber"])
    assert await _names(portal, h) == ["Resident Key Manager"]
    app = await create_app(portal, h)
    r = await generate_keys(portal, h, app["applicationId"], key_manager="Partners")
    assert r.status_code == 403
    assert not any(call[0] == "create" for call in portal.key_manager.calls)
    partner = portal.headers("carol", roles=["partner"])
    assert await _names(portal, partner) == ["Resident Key Manager", "Partners"]
    app = await create_app(portal, partner)
    assert (
        await generate_keys(portal, partner, app["applicationId"], key_manager="Partners")
    ).status_code == 200


async def test_a_deny_listed_role_does_not_see_the_key_manager(portal: Portal) -> None:
    await portal.publish(
        "key-managers", "key-manager.created", "km-X", _key_manager("X", ["contractor"], permission="DENY")
    )
    assert await _names(portal, portal.headers("dan", roles=["contractor"])) == ["Resident Key Manager"]
    assert await _names(portal, portal.headers("erin", roles=["staff"])) == ["Resident Key Manager", "X"]


async def test_a_global_key_manager_appears_in_every_tenant(portal: Portal) -> None:
    data = _key_manager("Corporate IdP", [], permission="PUBLIC", is_global=True)
    await portal.publish("key-managers", "key-manager.created", "km-g", data)
    await portal.publish(
        "key-managers", "key-manager.created", "km-local", _key_manager("Local", [], permission="PUBLIC")
    )
    acme = portal.headers("bob@acme.com", tenant="acme.com")
    assert await _names(portal, acme) == ["Resident Key Manager", "Corporate IdP"]


async def test_keys_of_one_type_and_key_manager_are_generated_once(portal: Portal) -> None:
    h = portal.headers()
    app = await create_app(portal, h)
    assert (await generate_keys(portal, h, app["applicationId"])).status_code == 200
    assert (await generate_keys(portal, h, app["applicationId"])).status_code == 400
    assert (await generate_keys(portal, h, app["applicationId"], key_type="SANDBOX")).status_code == 200
    r = await portal.client.get(f"{BASE}/applications/{app['applicationId']}/oauth-keys", headers=h)
    assert sorted(k["keyType"] for k in r.json()["list"]) == ["PRODUCTION", "SANDBOX"]
    assert all(k["consumerSecret"] for k in r.json()["list"])
    await portal.settle()
    assert len(portal.events("key-mapping.created")) == 2


async def test_regenerating_a_secret_goes_through_the_key_manager(portal: Portal) -> None:
    h = portal.headers()
    app = await create_app(portal, h)
    key = (await generate_keys(portal, h, app["applicationId"])).json()
    url = f"{BASE}/applications/{app['applicationId']}/oauth-keys/{key['keyMappingId']}"
    r = await portal.client.post(f"{url}/regenerate-secret", headers=h)
    assert r.status_code == 200
    assert r.json()["consumerSecret"] != key["consumerSecret"]
    assert ("regenerate", key["consumerKey"]) in portal.key_manager.calls
    r = await portal.client.post(
        f"{url}/generate-token", json={"consumerSecret": key["consumerSecret"]}, headers=h
    )
    assert r.status_code == 400
    secret = portal.key_manager.clients[key["consumerKey"]]["clientSecret"]
    r = await portal.client.post(
        f"{url}/generate-token", json={"consumerSecret": secret, "scopes": ["read"]}, headers=h
    )
    assert r.json()["tokenScopes"] == ["read"]


async def test_keys_are_updated_and_removed(portal: Portal) -> None:
    h = portal.headers()
    app = await create_app(portal, h)
    key = (await generate_keys(portal, h, app["applicationId"])).json()
    url = f"{BASE}/applications/{app['applicationId']}/oauth-keys/{key['keyMappingId']}"
    body = {
        "supportedGrantTypes": ["client_credentials", "password"],
        "callbackUrl": "https://app.example.com/cb",
    }
    r = await portal.client.put(url, json=body, headers=h)
    assert r.json()["supportedGrantTypes"] == ["client_credentials", "password"]
    assert portal.key_manager.clients[key["consumerKey"]]["callbackUrl"] == "https://app.example.com/cb"
    r = await portal.client.get(f"{BASE}/applications/{app['applicationId']}/keys/PRODUCTION", headers=h)
    assert r.json()["consumerKey"] == key["consumerKey"]
    assert (await portal.client.delete(url, headers=h)).status_code == 200
    assert key["consumerKey"] not in portal.key_manager.clients
    assert (await portal.client.get(url, headers=h)).status_code == 404


async def test_existing_client_keys_are_mapped_into_an_application(portal: Portal) -> None:
    h = portal.headers()
    donor = await create_app(portal, h, name="Donor")
    key = (await generate_keys(portal, h, donor["applicationId"])).json()
    await portal.client.delete(
        f"{BASE}/applications/{donor['applicationId']}/oauth-keys/{key['keyMappingId']}", headers=h
    )
    portal.key_manager.clients[key["consumerKey"]] = {
        "clientId": key["consumerKey"],
        "clientSecret": "s3cret",
        "grantTypes": ["client_credentials"],
        "callbackUrl": "",
        "owner": "alice",
    }
    app = await create_app(portal, h, name="Target")
    body = {"consumerKey": key["consumerKey"], "consumerSecret": "s3cret", "keyType": "SANDBOX"}
    r = await portal.client.post(f"{BASE}/applications/{app['applicationId']}/map-keys", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "MAPPED"
    body["consumerKey"] = "unknown"
    body["keyType"] = "PRODUCTION"
    r = await portal.client.post(f"{BASE}/applications/{app['applicationId']}/map-keys", json=body, headers=h)
    assert r.status_code == 400


async def test_an_api_key_is_signed_by_the_key_manager_with_its_restrictions(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    h = portal.headers()
    app = await create_app(portal, h)
    await subscribe(portal, h, app["applicationId"], api["id"])
    body = {
        "validityPeriod": 600,
        "additionalProperties": {"permittedIP": "10.0.0.1", "permittedReferer": "www.example.com"},
    }
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/api-keys/PRODUCTION/generate", json=body, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["validityTime"] == 600
    signed = portal.key_manager.signed[0]
    assert signed["permittedIP"] == "10.0.0.1"
    assert signed["permittedReferer"] == "www.example.com"
    assert [a["name"] for a in signed["subscribedAPIs"]] == ["Pizza"]
    assert signed["application"]["uuid"] == app["applicationId"]


async def test_a_revoked_api_key_is_announced_for_the_gateways(portal: Portal) -> None:
    h = portal.headers()
    app = await create_app(portal, h)
    url = f"{BASE}/applications/{app['applicationId']}/api-keys/PRODUCTION"
    key = (await portal.client.post(f"{url}/generate", json={"validityPeriod": 60}, headers=h)).json()[
        "apikey"
    ]
    r = await portal.client.post(f"{url}/revoke", json={"apikey": key}, headers=h)
    assert r.status_code == 200
    await portal.settle()
    revoked = portal.events("token.revoked")
    assert len(revoked) == 1
    assert revoked[0].data["expiresAt"] > 0
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/api-keys/SANDBOX/revoke", json={"apikey": key}, headers=h
    )
    assert r.status_code == 400


async def test_api_keys_need_one_of_their_scopes(portal: Portal) -> None:
    h = portal.headers()
    app = await create_app(portal, h)
    url = f"{BASE}/applications/{app['applicationId']}/api-keys/PRODUCTION/generate"
    assert (
        await portal.client.post(url, json={}, headers=portal.headers(scopes="apim:sub_manage"))
    ).status_code == 403
    assert (
        await portal.client.post(url, json={}, headers=portal.headers(scopes="apim:api_key"))
    ).status_code == 200


def _foreign_client(portal: Portal, owner: str = "bob", **fields: object) -> dict[str, object]:
    client: dict[str, object] = {
        "clientId": "their-client",
        "clientSecret": "their-s3cret",
        "grantTypes": ["client_credentials"],
        "callbackUrl": "",
        "owner": owner,
        "applicationId": "their-app",
        **fields,
    }
    portal.key_manager.clients["their-client"] = client
    return client


async def _map(portal: Portal, headers: dict[str, str], app_id: str, **body: str) -> object:
    payload = {"consumerKey": "their-client", "keyType": "PRODUCTION", **body}
    return await portal.client.post(f"{BASE}/applications/{app_id}/map-keys", json=payload, headers=headers)


async def test_mapping_someone_elses_client_without_its_secret_is_refused_and_echoes_nothing(
    portal: Portal,
) -> None:
    _foreign_client(portal)
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"])
    assert r.status_code == 400
    assert r.json()["message"] == "Consumer Secret Required"
    assert "their-s3cret" not in r.text
    listed = await portal.client.get(f"{BASE}/applications/{app['applicationId']}/oauth-keys", headers=h)
    assert listed.json()["count"] == 0


async def test_mapping_someone_elses_client_with_its_secret_is_refused(portal: Portal) -> None:
    _foreign_client(portal)
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"], consumerSecret="their-s3cret")
    assert r.status_code == 400
    assert r.json()["message"] == "Invalid Consumer Credentials"


async def test_mapping_a_client_of_another_tenant_is_refused(portal: Portal) -> None:
    _foreign_client(portal, owner="alice", tenant="acme.com")
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"], consumerSecret="their-s3cret")
    assert r.status_code == 400
    assert "their-s3cret" not in r.text


async def test_mapping_a_dcr_client_is_refused(portal: Portal) -> None:
    _foreign_client(portal, owner="alice", kind="dcr")
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"], consumerSecret="their-s3cret")
    assert r.status_code == 400


async def test_mapping_ones_own_client_with_a_wrong_secret_is_refused(portal: Portal) -> None:
    _foreign_client(portal, owner="alice")
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"], consumerSecret="guess")
    assert r.status_code == 400
    assert r.json()["message"] == "Invalid Consumer Credentials"
    assert "their-s3cret" not in r.text


async def test_mapping_ones_own_client_with_its_secret_shows_only_the_secret_sent(portal: Portal) -> None:
    _foreign_client(portal, owner="alice")
    h = portal.headers()
    app = await create_app(portal, h)
    r = await _map(portal, h, app["applicationId"], consumerSecret="their-s3cret")
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "MAPPED"
    assert r.json()["consumerSecret"] == "their-s3cret"


async def test_an_api_key_validity_beyond_wso2s_int_range_is_400(portal: Portal) -> None:
    h = portal.headers("alice")
    app = await create_app(portal, h)
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/api-keys/PRODUCTION/generate",
        json={"validityPeriod": 69_000_000_000_000_000_000_000_000_000_000},
        headers=h,
    )
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["validityPeriod"]


async def test_mapping_keys_of_a_key_manager_named_with_a_lone_surrogate_is_400(portal: Portal) -> None:
    h = portal.headers("alice")
    app = await create_app(portal, h)
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/map-keys",
        content=b'{"consumerKey": "ck", "consumerSecret": "cs", "keyType": "PRODUCTION", '
        b'"keyManager": "\\ud800"}',
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
