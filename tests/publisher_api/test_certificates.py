"""Client (mutual TLS) and endpoint certificates: upload, read, replace, download, usage."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from tests.publisher_api.conftest import BASE, Publisher


def certificate(common_name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
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


async def test_client_certificates_of_an_api(publisher: Publisher) -> None:
    api = await publisher.create_api()
    url = f"{BASE}/apis/{api['id']}/client-certificates"
    files = {"certificate": ("c.pem", certificate("partner"), "application/x-pem-file")}
    added = await publisher.client.post(
        url, files=files, data={"alias": "partner", "tier": "Gold"}, headers=publisher.auth()
    )
    assert added.status_code == 201, added.text
    assert (
        await publisher.client.post(url, files=files, data={"alias": "partner"}, headers=publisher.auth())
    ).status_code == 409
    listed = await publisher.client.get(url, headers=publisher.auth())
    assert listed.json()["certificates"] == [{"alias": "partner", "apiId": api["id"], "tier": "Gold"}]
    info = await publisher.client.get(f"{url}/partner", headers=publisher.auth())
    assert (info.json()["status"], info.json()["subject"]) == ("Active", "CN=partner")
    replaced = await publisher.client.put(
        f"{url}/partner",
        files={"certificate": ("c.pem", certificate("renewed"), "application/x-pem-file")},
        data={"tier": "Silver"},
        headers=publisher.auth(),
    )
    assert replaced.json()["tier"] == "Silver"
    content = await publisher.client.get(f"{url}/partner/content", headers=publisher.auth())
    assert x509.load_pem_x509_certificate(content.content).subject.rfc4514_string() == "CN=renewed"
    assert (await publisher.client.delete(f"{url}/partner", headers=publisher.auth())).status_code == 200
    assert (await publisher.client.get(f"{url}/partner", headers=publisher.auth())).status_code == 404


async def test_a_file_that_is_not_a_certificate_is_400(publisher: Publisher) -> None:
    api = await publisher.create_api()
    files = {"certificate": ("c.pem", b"hello", "text/plain")}
    response = await publisher.client.post(
        f"{BASE}/apis/{api['id']}/client-certificates",
        files=files,
        data={"alias": "x"},
        headers=publisher.auth(),
    )
    assert response.status_code == 400


async def test_endpoint_certificates_and_the_apis_using_them(publisher: Publisher) -> None:
    api = await publisher.create_api()
    files = {"certificate": ("b.pem", certificate("backend"), "application/x-pem-file")}
    added = await publisher.client.post(
        f"{BASE}/endpoint-certificates",
        files=files,
        data={"alias": "backend", "endpoint": "https://backend.example.com"},
        headers=publisher.auth(),
    )
    assert added.status_code == 201, added.text
    listed = await publisher.client.get(f"{BASE}/endpoint-certificates", headers=publisher.auth())
    assert listed.json()["certificates"] == [{"alias": "backend", "endpoint": "https://backend.example.com"}]
    assert (
        await publisher.client.get(f"{BASE}/endpoint-certificates/backend", headers=publisher.auth())
    ).json()["subject"] == "CN=backend"
    usage = await publisher.client.get(
        f"{BASE}/endpoint-certificates/backend/usage", headers=publisher.auth()
    )
    assert [a["id"] for a in usage.json()["list"]] == [api["id"]]
    updated = await publisher.client.put(
        f"{BASE}/endpoint-certificates/backend", files=files, headers=publisher.auth()
    )
    assert updated.status_code == 200
    content = await publisher.client.get(
        f"{BASE}/endpoint-certificates/backend/content", headers=publisher.auth()
    )
    assert content.content.startswith(b"-----BEGIN CERTIFICATE-----")
    other = publisher.auth(user="bob@acme.com", tenant="acme.com")
    assert (
        await publisher.client.get(f"{BASE}/endpoint-certificates/backend", headers=other)
    ).status_code == 404
    assert (
        await publisher.client.delete(f"{BASE}/endpoint-certificates/backend", headers=publisher.auth())
    ).status_code == 200
