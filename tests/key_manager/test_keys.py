"""Signing keys: made once, kept encrypted, published with kids, rotated without breaking tokens."""

from __future__ import annotations

from pathlib import Path

import jwt
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from apim_key_manager.app import create_app
from tests.key_manager.conftest import KeyManagerClient, key_manager_settings


async def test_jwks_publishes_rs256_and_es256_access_keys_and_an_api_key_key(km: KeyManagerClient) -> None:
    keys = (await km.jwks())["keys"]
    assert sorted((k["kty"], k["alg"]) for k in keys) == [("EC", "ES256"), ("RSA", "RS256"), ("RSA", "RS256")]
    assert all(k["kid"] and k["use"] == "sig" for k in keys)
    assert [k["crv"] for k in keys if k["kty"] == "EC"] == ["P-256"]
    assert all("d" not in k for k in keys)


async def test_private_keys_are_stored_encrypted(km: KeyManagerClient) -> None:
    async with km.app.state.database.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT private_key FROM signing_keys"))).scalars().all()
    assert len(stored) == 3
    assert not any("PRIVATE KEY" in value for value in stored)


async def test_keys_survive_a_restart(tmp_path: Path) -> None:
    settings = key_manager_settings(tmp_path)
    kids = []
    for _ in range(2):
        app = create_app(settings)
        async with LifespanManager(app):
            kids.append(sorted(app.state.key_manager.keys.ring.public_keys))
    assert kids[0] == kids[1]


async def test_rotation_keeps_the_old_key_published_and_its_tokens_valid(km: KeyManagerClient) -> None:
    client = await km.register()
    old = await km.password_token(client, "admin", "admin")
    old_kid = jwt.get_unverified_header(old["access_token"])["kid"]
    new_kid = await km.app.state.key_manager.keys.rotate()
    new = await km.password_token(client, "admin", "admin")
    assert jwt.get_unverified_header(new["access_token"])["kid"] == new_kid != old_kid
    kids = {k["kid"] for k in (await km.jwks())["keys"]}
    assert {old_kid, new_kid} <= kids
    r = await km.http.post(
        "/oauth2/introspect",
        data={"token": old["access_token"]},
        auth=(client["clientId"], client["clientSecret"]),
    )
    assert r.json()["active"] is True


async def test_openid_configuration_points_at_the_endpoints(km: KeyManagerClient) -> None:
    r = await km.http.get("/.well-known/openid-configuration")
    assert r.status_code == 200
    body = r.json()
    assert body["issuer"] == "https://localhost:9443/oauth2/token"
    assert body["jwks_uri"].endswith("/oauth2/jwks")
    assert body["token_endpoint"].endswith("/oauth2/token")
    assert "client_credentials" in body["grant_types_supported"]
