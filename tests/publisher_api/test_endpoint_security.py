"""``endpointConfig.endpoint_security``: backend credentials validated, sealed at rest, masked in
every view, kept when the mask comes back, and carried sealed to the gateway."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from sqlalchemy import select

from apim_common.sealed import ENDPOINT_SECRETS, SecretBox, is_sealed
from apim_publisher.apis.models import API
from tests.publisher_api.conftest import BASE, PIZZA, Publisher

PASSWORD = "backend-pa55word"
CLIENT_SECRET = "sandbox-client-s3cret"


def _security(**production: Any) -> dict[str, Any]:
    return {
        "production": {
            "enabled": True,
            "type": "BASIC",
            "username": "shop",
            "password": PASSWORD,
            **production,
        },
        "sandbox": {
            "enabled": True,
            "type": "OAUTH",
            "grantType": "CLIENT_CREDENTIALS",
            "tokenUrl": "https://idp.example.com/oauth2/token",
            "clientId": "sandbox-client",
            "clientSecret": CLIENT_SECRET,
            "customParameters": {"audience": "pizza"},
        },
    }


def _with_security(security: dict[str, Any]) -> dict[str, Any]:
    return {"endpointConfig": {**PIZZA["endpointConfig"], "endpoint_security": security}}


def _box(publisher: Publisher) -> SecretBox:
    return SecretBox(publisher.app.state.settings.secret(), ENDPOINT_SECRETS)


async def _artifact(publisher: Publisher, api_id: str) -> dict[str, Any]:
    revision = await publisher.revise(api_id)
    assert (await publisher.deploy(api_id, revision["id"])).status_code == 201
    response = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{revision['id']}", headers=publisher.internal()
    )
    assert response.status_code == 200, response.text
    artifact: dict[str, Any] = response.json()
    return artifact


async def test_endpoint_secret_is_masked_on_get(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    shown = (await publisher.client.get(f"{BASE}/apis/{created['id']}", headers=publisher.auth())).json()
    security = shown["endpointConfig"]["endpoint_security"]
    assert security["production"]["username"] == "shop"
    assert security["production"]["password"] == ""
    assert security["sandbox"]["clientSecret"] == ""
    assert security["sandbox"]["customParameters"] == {"audience": "pizza"}
    assert created["endpointConfig"]["endpoint_security"]["production"]["password"] == ""


async def test_export_archive_and_events_hold_no_endpoint_secret(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    archive = await publisher.client.get(
        f"{BASE}/apis/export", params={"apiId": created["id"]}, headers=publisher.auth()
    )
    assert archive.status_code == 200, archive.text
    with zipfile.ZipFile(io.BytesIO(archive.content)) as project:
        contents = b"".join(project.read(n) for n in project.namelist())
    assert b"shop" in contents
    assert PASSWORD.encode() not in contents
    assert CLIENT_SECRET.encode() not in contents
    assert b"sealed:" not in contents
    await publisher.settle()
    (event,) = publisher.of_type("api.created")
    assert PASSWORD not in str(event.data)
    assert "sealed:" not in str(event.data)


async def test_endpoint_secret_is_encrypted_at_rest(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    async with publisher.app.state.database.session() as session:
        api = (await session.execute(select(API).where(API.id == created["id"]))).scalar_one()
        stored = api.spec["endpointConfig"]["endpoint_security"]
    password, secret = stored["production"]["password"], stored["sandbox"]["clientSecret"]
    assert is_sealed(password)
    assert PASSWORD not in password
    assert is_sealed(secret)
    assert CLIENT_SECRET not in secret
    box = _box(publisher)
    assert (box.open(password), box.open(secret)) == (PASSWORD, CLIENT_SECRET)


async def test_mask_sent_back_keeps_the_stored_secret(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    shown = (await publisher.client.get(f"{BASE}/apis/{created['id']}", headers=publisher.auth())).json()
    shown["description"] = "edited with the secrets masked"
    response = await publisher.client.put(
        f"{BASE}/apis/{created['id']}", json=shown, headers=publisher.auth()
    )
    assert response.status_code == 200, response.text
    artifact = await _artifact(publisher, created["id"])
    carried = artifact["endpointConfig"]["endpoint_security"]
    box = _box(publisher)
    assert box.open(carried["production"]["password"]) == PASSWORD
    assert box.open(carried["sandbox"]["clientSecret"]) == CLIENT_SECRET


async def test_a_new_secret_replaces_the_stored_one(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    response = await publisher.client.put(
        f"{BASE}/apis/{created['id']}",
        json={**created, **_with_security(_security(password="rotated"))},
        headers=publisher.auth(),
    )
    assert response.status_code == 200, response.text
    artifact = await _artifact(publisher, created["id"])
    assert _box(publisher).open(
        artifact["endpointConfig"]["endpoint_security"]["production"]["password"]
    ) == ("rotated")


async def test_masked_secret_for_another_username_is_refused(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    response = await publisher.client.put(
        f"{BASE}/apis/{created['id']}",
        json={**created, **_with_security(_security(username="someone-else", password=""))},
        headers=publisher.auth(),
    )
    assert response.status_code == 400
    assert response.json()["error"][0]["message"] == "endpointConfig.endpoint_security.production.password"


async def test_unknown_endpoint_security_type_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_with_security(_security(type="NTLM"))}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert "endpointConfig.endpoint_security.production.type" in response.json()["description"]


async def test_unknown_endpoint_security_field_is_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_with_security(_security(apiKey="x"))}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert "endpoint_security.production.apiKey" in response.json()["description"]


async def test_token_url_must_be_an_http_url(publisher: Publisher) -> None:
    security = _security()
    security["sandbox"]["tokenUrl"] = "file:///etc/passwd"
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_with_security(security)}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert "tokenUrl" in response.json()["description"]


async def test_oauth_without_a_client_secret_is_refused(publisher: Publisher) -> None:
    security = _security()
    security["sandbox"]["clientSecret"] = ""
    response = await publisher.client.post(
        f"{BASE}/apis", json={**PIZZA, **_with_security(security)}, headers=publisher.auth()
    )
    assert response.status_code == 400
    assert response.json()["error"][0]["message"] == "endpointConfig.endpoint_security.sandbox.clientSecret"


async def test_a_restored_revision_keeps_the_sealed_secret(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    revision = await publisher.revise(created["id"])
    cleared = {**created, "endpointConfig": PIZZA["endpointConfig"]}
    assert (
        await publisher.client.put(f"{BASE}/apis/{created['id']}", json=cleared, headers=publisher.auth())
    ).status_code == 200
    restored = await publisher.client.post(
        f"{BASE}/apis/{created['id']}/restore-revision",
        params={"revisionId": revision["id"]},
        headers=publisher.auth(),
    )
    assert restored.status_code == 201, restored.text
    assert restored.json()["endpointConfig"]["endpoint_security"]["production"]["password"] == ""
    artifact = await _artifact(publisher, created["id"])
    assert (
        _box(publisher).open(artifact["endpointConfig"]["endpoint_security"]["production"]["password"])
        == PASSWORD
    )


async def test_a_product_carries_its_member_apis_sealed_credentials(publisher: Publisher) -> None:
    member = await publisher.create_api(_with_security(_security()))
    body = {
        "name": "Lunch",
        "context": "/lunch",
        "version": "1.0.0",
        "policies": ["Unlimited"],
        "apis": [{"apiId": member["id"], "operations": [{"target": "/menu", "verb": "GET"}]}],
    }
    product = await publisher.client.post(f"{BASE}/api-products", json=body, headers=publisher.auth())
    assert product.status_code == 201, product.text
    url = f"{BASE}/api-products/{product.json()['id']}"
    revision = await publisher.client.post(
        f"{url}/revisions", json={"description": "r1"}, headers=publisher.auth()
    )
    deployed = await publisher.client.post(
        f"{url}/deploy-revision",
        params={"revisionId": revision.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
        headers=publisher.auth(),
    )
    assert deployed.status_code == 201, deployed.text
    artifact = (
        await publisher.client.get(
            f"{BASE}/internal/runtime-artifacts/{revision.json()['id']}", headers=publisher.internal()
        )
    ).json()
    (operation,) = artifact["operations"]
    carried = operation["endpointConfig"]["endpoint_security"]["production"]["password"]
    assert _box(publisher).open(carried) == PASSWORD
    shown = await publisher.client.get(url, headers=publisher.auth())
    assert PASSWORD not in shown.text
    assert "sealed:" not in shown.text


async def test_switching_type_drops_the_secret_the_new_type_does_not_use(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    shown = (await publisher.client.get(f"{BASE}/apis/{created['id']}", headers=publisher.auth())).json()
    sandbox = shown["endpointConfig"]["endpoint_security"]["sandbox"]
    sandbox.update(type="BASIC", username="sandbox-user", password="sandbox-pw")
    sandbox.update(grantType=None, tokenUrl=None, clientId=None, customParameters={})
    response = await publisher.client.put(
        f"{BASE}/apis/{created['id']}", json=shown, headers=publisher.auth()
    )
    assert response.status_code == 200, response.text
    async with publisher.app.state.database.session() as session:
        api = (await session.execute(select(API).where(API.id == created["id"]))).scalar_one()
        stored = api.spec["endpointConfig"]["endpoint_security"]["sandbox"]
    assert "clientSecret" not in stored
    assert _box(publisher).open(stored["password"]) == "sandbox-pw"


async def test_oauth_fields_on_a_basic_endpoint_are_refused(publisher: Publisher) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis",
        json={**PIZZA, **_with_security(_security(tokenUrl="https://idp.example.com/token"))},
        headers=publisher.auth(),
    )
    assert response.status_code == 400
    assert "tokenUrl: not used by a BASIC endpoint" in response.json()["description"]


async def test_a_new_version_keeps_the_sealed_secret(publisher: Publisher) -> None:
    created = await publisher.create_api(_with_security(_security()))
    response = await publisher.client.post(
        f"{BASE}/apis/copy-api",
        params={"apiId": created["id"], "newVersion": "2.0.0"},
        headers=publisher.auth(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["endpointConfig"]["endpoint_security"]["production"]["password"] == ""
    artifact = await _artifact(publisher, response.json()["id"])
    assert (
        _box(publisher).open(artifact["endpointConfig"]["endpoint_security"]["production"]["password"])
        == PASSWORD
    )
