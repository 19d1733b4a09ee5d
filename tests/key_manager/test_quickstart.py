"""WSO2's REST quick start against the key manager: DCR, then a password-grant token checked with
PyJWT against /oauth2/jwks."""

from __future__ import annotations

import json

import jwt

from tests.key_manager.conftest import DCR, KeyManagerClient, basic


async def test_dcr_with_admin_basic_auth_answers_200_with_wso2_fields(km: KeyManagerClient) -> None:
    r = await km.http.post(
        DCR,
        json={
            "callbackUrl": "www.google.lk",
            "clientName": "rest_api_publisher",
            "owner": "admin",
            "grantType": "client_credentials password refresh_token",
            "saasApp": True,
        },
        headers=basic("admin", "admin"),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["clientName"] == "rest_api_publisher"
    assert body["appOwner"] == "admin"
    assert body["isSaasApplication"] is True
    assert body["callBackURL"] == "www.google.lk"
    assert body["clientId"]
    assert body["clientSecret"]
    assert json.loads(body["jsonString"])["grant_types"] == "client_credentials password refresh_token"


async def test_password_grant_token_verifies_with_pyjwt_against_jwks(km: KeyManagerClient) -> None:
    client = await km.register()
    body = await km.password_token(client, "admin", "admin", "apim:api_view apim:api_create apim:subscribe")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "apim:api_view apim:api_create apim:subscribe"
    assert body["refresh_token"]

    header = jwt.get_unverified_header(body["access_token"])
    keys = {k["kid"]: k for k in (await km.jwks())["keys"]}
    key = jwt.PyJWK(keys[header["kid"]])
    claims = jwt.decode(
        body["access_token"],
        key=key.key,
        algorithms=["RS256"],
        audience=client["clientId"],
        issuer="https://localhost:9443/oauth2/token",
    )
    assert header["alg"] == "RS256"
    assert claims["sub"] == "admin@carbon.super"
    assert claims["azp"] == client["clientId"]
    assert claims["tenant"] == "carbon.super"
    assert claims["scope"] == "apim:api_view apim:api_create apim:subscribe"
    assert "admin" in claims["roles"]
    assert "Internal/everyone" in claims["roles"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]
