"""Passwords when an installation turns FIPS mode on: users created under the default provider
(argon2id) sign in once more with their password and leave a PBKDF2-HMAC-SHA256 hash behind; a
wrong password changes nothing. Tokens whose algorithm FIPS refuses are refused as assertions."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from apim_common import crypto_policy
from apim_common.events.bus import InProcessBus
from apim_key_manager.app import create_app
from apim_key_manager.keys import crypto
from apim_key_manager.settings import Settings
from tests.key_manager.conftest import KeyManagerClient, key_manager_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass
class Installation:
    km: KeyManagerClient
    client: dict[str, str]


async def _running(settings: Settings) -> AsyncIterator[KeyManagerClient]:
    bus = InProcessBus()
    app = create_app(settings, bus=bus)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        await bus.start()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield KeyManagerClient(app, http, settings, bus)
        await bus.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def installation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Installation]:
    """dora and eve created under the default provider; then the same database served in FIPS mode."""
    files: Path = tmp_path_factory.mktemp("km-fips")
    try:
        async for km in _running(key_manager_settings(files)):
            await km.create_user("dora", "dora-pass-1", [])
            await km.create_user("eve", "eve-pass-1", [])
        async for km in _running(key_manager_settings(files, crypto_provider="fips")):
            yield Installation(km, await km.register("fips_tools"))
    finally:
        crypto_policy.activate(crypto_policy.CryptoProvider.DEFAULT)


async def _stored_hash(km: KeyManagerClient, username: str) -> str:
    async with km.app.state.key_manager.database.session() as session:
        found = await session.scalar(
            text("SELECT password_hash FROM users WHERE username = :name"), {"name": username}
        )
    assert isinstance(found, str)
    return found


async def test_an_argon2_hash_is_rehashed_with_pbkdf2_at_the_next_sign_in(installation: Installation) -> None:
    km = installation.km
    assert (await _stored_hash(km, "dora")).startswith("$argon2id$")
    await km.password_token(installation.client, "dora", "dora-pass-1")
    assert (await _stored_hash(km, "dora")).startswith("$pbkdf2-sha256$600000$")
    # and the new hash signs her in
    await km.password_token(installation.client, "dora", "dora-pass-1")


async def test_a_wrong_password_does_not_rehash(installation: Installation) -> None:
    km = installation.km
    before = await _stored_hash(km, "eve")
    r = await km.token(installation.client, grant_type="password", username="eve", password="wrong-pass")
    assert r.status_code == 400, r.text
    assert await _stored_hash(km, "eve") == before
    assert before.startswith("$argon2id$")


async def test_an_eddsa_assertion_is_refused_in_fips_mode(installation: Installation) -> None:
    km = installation.km
    jwks = await km.jwks()
    now = int(time.time())
    header = {"alg": "EdDSA", "kid": jwks["keys"][0]["kid"], "typ": "JWT"}
    claims = {"iss": km.settings.token_issuer, "sub": "dora", "aud": "x", "exp": now + 60}

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    assertion = f"{part(header)}.{part(claims)}.{base64.urlsafe_b64encode(b'x' * 64).rstrip(b'=').decode()}"
    r = await km.token(installation.client, grant_type=JWT_BEARER, assertion=assertion)
    assert r.status_code == 400, r.text
    assert "'EdDSA' is not allowed in FIPS mode" in r.json()["error_description"]


async def test_health_shows_the_fips_provider(installation: Installation) -> None:
    assert (await installation.km.http.get("/health")).json()["cryptoProvider"] == "fips"


async def test_a_1024_bit_signing_key_is_refused_when_loaded_in_fips_mode() -> None:
    weak = crypto.private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    before = crypto_policy.active()  # the module's key manager runs in FIPS mode
    try:
        crypto_policy.activate(crypto_policy.CryptoProvider.DEFAULT)
        assert crypto.load_private_pem(weak) is not None  # the default provider takes it
        crypto_policy.activate(crypto_policy.CryptoProvider.FIPS)
        with pytest.raises(ValueError, match="RSA key of 1024 bits"):
            crypto.load_private_pem(weak)
    finally:
        crypto_policy.activate(before.provider)
