"""Mutual TLS on the request path: the certificate a trusted terminator forwards, matched against
the API's uploaded ones, combined with the application-level schemes by WSO2's rule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pydantic import ValidationError

from tests.gateway.conftest import (
    FakeControlPlane,
    Harness,
    RunningGateway,
    count_limit,
    gateway_settings,
    pets_api,
)
from tests.support.certificates import Issued, TestAuthority
from tests.support.tokens import TokenFactory

SECURED = "/pets/1.0.0/echo/1"
NGINX = {"gateway_trusted_proxies": "127.0.0.1/32, 10.0.0.0/8"}
ENVOY = {
    **NGINX,
    "gateway_client_cert_format": "envoy",
    "gateway_client_cert_header": "x-forwarded-client-cert",
}

Start = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture(scope="module")
def authority() -> TestAuthority:
    return TestAuthority()


@pytest.fixture(scope="module")
def client_cert(authority: TestAuthority) -> Issued:
    return authority.issue("orders-client")


@pytest.fixture
def start(
    tmp_path: Path, tokens: TokenFactory, backend_port: int, snapshot: dict[str, dict[str, Any]]
) -> Start:
    """A gateway serving the pets API with these schemes and uploaded certificates."""

    @asynccontextmanager
    async def running(
        schemes: list[str], certificates: list[dict[str, Any]], **overrides: Any
    ) -> AsyncIterator[Harness]:
        api = pets_api(backend_port, securityScheme=schemes, clientCertificates=certificates)
        snapshot["publisher"]["artifacts"] = [api]
        control_plane = FakeControlPlane(tokens, snapshot)
        async with (
            RunningGateway(tmp_path, control_plane, {**NGINX, **overrides}) as (gateway, bus),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://localhost"
            ) as client,
        ):
            yield Harness(gateway, client, bus, control_plane, tokens, backend_port)

    return running


def presenting(certificate: Issued) -> dict[str, str]:
    return {"ssl-client-cert": certificate.escaped}


async def test_uploaded_certificate_is_accepted(start: Start, client_cert: Issued) -> None:
    async with start(["mutualssl"], [client_cert.artifact_entry("orders")]) as harness:
        harness.gateway.state.subscriptions.clear()  # a certificate needs no subscription
        r = await harness.client.get(SECURED, headers=presenting(client_cert))
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/1"


async def test_unknown_certificate_is_refused_with_401(
    start: Start, authority: TestAuthority, client_cert: Issued
) -> None:
    stranger = authority.issue("stranger")  # signed by the same CA, but not uploaded for the API
    async with start(["mutualssl"], [client_cert.artifact_entry("orders")]) as harness:
        r = await harness.client.get(SECURED, headers=presenting(stranger))
        garbled = await harness.client.get(SECURED, headers={"ssl-client-cert": "not%20a%20certificate"})
    assert r.status_code == 401
    assert r.json()["code"] == "900901"
    assert garbled.status_code == 401


async def test_mutualssl_mandatory_refuses_a_call_without_a_certificate(
    start: Start, client_cert: Issued
) -> None:
    schemes = ["oauth2", "mutualssl", "mutualssl_mandatory"]
    async with start(schemes, [client_cert.artifact_entry("orders")]) as harness:
        token_only = await harness.client.get(SECURED, headers=harness.bearer())
        certificate = await harness.client.get(SECURED, headers=presenting(client_cert))
    assert token_only.status_code == 401
    assert token_only.json()["code"] == "900901"
    assert certificate.status_code == 200


async def test_optional_mutualssl_falls_back_to_oauth2(start: Start, client_cert: Issued) -> None:
    async with start(["oauth2", "mutualssl"], [client_cert.artifact_entry("orders")]) as harness:
        token_only = await harness.client.get(SECURED, headers=harness.bearer())
        certificate_only = await harness.client.get(SECURED, headers=presenting(client_cert))
        neither = await harness.client.get(SECURED)
    assert token_only.status_code == 200
    assert certificate_only.status_code == 200
    assert neither.status_code == 401
    assert neither.json()["code"] == "900902"


async def test_optional_mutualssl_with_mandatory_application_security_needs_the_credential(
    start: Start, client_cert: Issued
) -> None:
    schemes = ["oauth2", "mutualssl", "oauth_basic_auth_api_key_mandatory"]
    async with start(schemes, [client_cert.artifact_entry("orders")]) as harness:
        certificate_only = await harness.client.get(SECURED, headers=presenting(client_cert))
        token_only = await harness.client.get(SECURED, headers=harness.bearer())
    assert certificate_only.status_code == 401
    assert certificate_only.json()["code"] == "900902"
    assert token_only.status_code == 200


async def test_both_mandatory_needs_certificate_and_token(start: Start, client_cert: Issued) -> None:
    schemes = ["oauth2", "mutualssl", "mutualssl_mandatory", "oauth_basic_auth_api_key_mandatory"]
    async with start(schemes, [client_cert.artifact_entry("orders")]) as harness:
        certificate_only = await harness.client.get(SECURED, headers=presenting(client_cert))
        token_only = await harness.client.get(SECURED, headers=harness.bearer())
        both = await harness.client.get(SECURED, headers={**presenting(client_cert), **harness.bearer()})
    assert (certificate_only.status_code, certificate_only.json()["code"]) == (401, "900902")
    assert (token_only.status_code, token_only.json()["code"]) == (401, "900901")
    assert both.status_code == 200


async def test_forged_header_from_an_untrusted_address_is_refused(start: Start, client_cert: Issued) -> None:
    async with start(["mutualssl"], [client_cert.artifact_entry("orders")]) as harness:
        direct = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.gateway, client=("198.51.100.7", 40000)),
            base_url="http://localhost",
        )
        async with direct:
            forged = await direct.get(SECURED, headers=presenting(client_cert))
        proxied = await harness.client.get(SECURED, headers=presenting(client_cert))
    assert forged.status_code == 401
    assert forged.json()["code"] == "900901"
    assert proxied.status_code == 200  # the same header from a trusted proxy is believed


async def test_envoy_forwarded_client_cert_is_read(
    start: Start, authority: TestAuthority, client_cert: Issued
) -> None:
    other = authority.issue("upstream-hop")

    def element(certificate: Issued) -> str:
        return (
            f"By=spiffe://cluster.local/ns/apim/sa/gateway;Hash={certificate.sha256};"
            f'Cert="{quote(certificate.pem, safe="")}";Subject="CN=hop,O=Example;Unit=a,b"'
        )

    async with start(["mutualssl"], [client_cert.artifact_entry("orders")], **ENVOY) as harness:
        ours_last = await harness.client.get(
            SECURED, headers={"x-forwarded-client-cert": f"{element(other)},{element(client_cert)}"}
        )
        ours_first = await harness.client.get(
            SECURED, headers={"x-forwarded-client-cert": f"{element(client_cert)},{element(other)}"}
        )
        hash_only = await harness.client.get(
            SECURED, headers={"x-forwarded-client-cert": f"By=spiffe://gw;Hash={client_cert.sha256}"}
        )
        nginx_form = await harness.client.get(SECURED, headers=presenting(client_cert))
    assert ours_last.status_code == 200
    assert ours_first.status_code == 401  # the right-most element is the nearest proxy's
    assert hash_only.status_code == 200
    assert nginx_form.status_code == 401  # this gateway reads the Envoy header only


async def test_expired_certificate_is_refused(start: Start, authority: TestAuthority) -> None:
    expired = authority.expired("old-client")
    async with start(["mutualssl"], [expired.artifact_entry("old")]) as harness:
        r = await harness.client.get(SECURED, headers=presenting(expired))
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


async def test_certificate_tier_limits_the_call(
    start: Start, snapshot: dict[str, dict[str, Any]], authority: TestAuthority, client_cert: Issued
) -> None:
    snapshot["admin"]["throttlePolicies"]["subscription"].append(
        {
            "policyName": "Bronze",
            "defaultLimit": count_limit(2),
            "stopOnQuotaReach": True,
            "tenant": "carbon.super",
        }
    )
    second = authority.issue("second-client")
    entries = [
        client_cert.artifact_entry("orders", tier="Bronze"),
        second.artifact_entry("other", tier="Bronze"),
    ]
    async with start(["mutualssl"], entries) as harness:
        statuses = [
            (await harness.client.get(SECURED, headers=presenting(client_cert))).status_code for _ in range(3)
        ]
        refused = await harness.client.get(SECURED, headers=presenting(client_cert))
        other = await harness.client.get(SECURED, headers=presenting(second))
    assert statuses == [200, 200, 429]
    assert refused.json()["code"] == "900804"
    assert other.status_code == 200  # the tier counts per certificate


async def test_an_api_product_with_mutualssl_takes_its_own_certificates(
    start: Start, authority: TestAuthority, client_cert: Issued
) -> None:
    product_cert = authority.issue("bundle-client")
    async with start(["oauth2"], []) as harness:
        product = pets_api(
            harness.backend_port,
            id="prod-mtls",
            context="/bundle",
            type="APIProduct",
            securityScheme=["mutualssl"],
            clientCertificates=[product_cert.artifact_entry("bundle")],
        )
        product["endpointConfig"] = None
        product["operations"] = [
            {
                "verb": "GET",
                "target": "/items",
                "authType": "Any",
                "apiId": "api-member",
                "endpointConfig": {
                    "endpoint_type": "http",
                    "production_endpoints": {"url": f"http://127.0.0.1:{harness.backend_port}/echo/member"},
                },
            }
        ]
        harness.gateway.state.deploy(product)
        own = await harness.client.get("/bundle/1.0.0/items", headers=presenting(product_cert))
        other = await harness.client.get("/bundle/1.0.0/items", headers=presenting(client_cert))
    assert own.status_code == 200
    assert own.json()["path"] == "/echo/member/items"
    assert other.status_code == 401


def test_a_trusted_proxy_that_is_no_address_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        gateway_settings(tmp_path, gateway_trusted_proxies="10.0.0.0/8, proxy.internal")


async def test_a_certificate_carries_no_scope_so_a_scoped_operation_refuses_it(
    start: Start, client_cert: Issued
) -> None:
    async with start(["mutualssl"], [client_cert.artifact_entry("orders")]) as harness:
        r = await harness.client.get("/pets/1.0.0/echo/admin/x", headers=presenting(client_cert))
    assert r.status_code == 403
    assert r.json()["code"] == "900910"
