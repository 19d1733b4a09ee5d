"""Certificates uploaded in FIPS mode: a key FIPS does not approve answers 400 naming it."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from apim_common.crypto_policy import CryptoPolicy
from tests.publisher_api.conftest import BASE, Publisher, running_publisher
from tests.publisher_api.test_certificates import certificate
from tests.support.fips import fips_policy
from tests.support.tokens import TokenFactory

__all__ = ["fips_policy"]

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def publisher(
    tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Publisher]:
    database = tmp_path_factory.mktemp("fips-publisher") / "service.db"
    async with running_publisher(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


def rsa_certificate(bits: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM)


async def _upload(publisher: Publisher, content: bytes, alias: str) -> tuple[int, str]:
    api = await publisher.create_api({"name": f"Api{alias}", "context": f"/{alias}"})
    r = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/client-certificates",
        files={"certificate": ("c.pem", content, "application/x-pem-file")},
        data={"alias": alias, "tier": "Gold"},
        headers=publisher.auth(),
    )
    return r.status_code, r.text


async def test_a_certificate_with_a_1024_bit_rsa_key_is_refused_in_fips_mode(
    publisher: Publisher, fips_policy: CryptoPolicy
) -> None:
    status, text = await _upload(publisher, rsa_certificate(1024), "legacy")
    assert status == 400, text
    assert "RSA key of 1024 bits" in text
    assert "FIPS mode" in text


async def test_a_p256_certificate_is_accepted_in_fips_mode(
    publisher: Publisher, fips_policy: CryptoPolicy
) -> None:
    status, text = await _upload(publisher, certificate("partner"), "partner")
    assert status == 201, text
