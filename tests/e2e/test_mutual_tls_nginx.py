"""Mutual TLS as deployed: nginx terminates TLS and verifies the client certificate against a test
CA, then forwards it (``$ssl_client_escaped_cert``) to the real gateway process, which trusts the
header from nginx's address only and matches the certificate against the API's uploaded ones.

nginx reaches the gateway from 127.0.0.1, the one trusted proxy; the forged-header test connects
straight to the gateway from 127.0.0.3, another loopback address the gateway does not trust.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.certificates import Issued, TestAuthority
from tests.support.processes import backend_process, free_port, wait_for_port

pytestmark = pytest.mark.e2e

NOWHERE = "http://127.0.0.1:9"  # the discard port: no control plane answers there
SECURED = "/orders/1.0.0/echo/1"


def nginx_binary() -> str:
    """Installed by ``scripts/infra`` (CI starts from a clean machine): missing is a failure."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    assert found, "nginx is not installed: run scripts/infra up (it apt-installs nginx)"
    return found


def orders_snapshot(backend_port: int, certificate: Issued) -> dict[str, Any]:
    """What the gateway serves: one API secured by mutual TLS alone, with one uploaded certificate."""
    unlimited = {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 10**9},
    }
    return {
        "publisher": {
            "environment": "Default",
            "gatewayPolicies": [],
            "artifacts": [
                {
                    "id": "api-orders",
                    "name": "Orders",
                    "context": "/orders",
                    "version": "1.0.0",
                    "lifeCycleStatus": "PUBLISHED",
                    "tenant": "carbon.super",
                    "revisionId": "rev-1",
                    "environment": "Default",
                    "vhost": "localhost",
                    "securityScheme": ["mutualssl"],
                    "clientCertificates": [certificate.artifact_entry("orders-client", tier="Unlimited")],
                    "endpointConfig": {
                        "endpoint_type": "http",
                        "production_endpoints": {"url": f"http://127.0.0.1:{backend_port}"},
                    },
                    "apiPolicies": {"request": [], "response": [], "fault": []},
                    "operations": [{"verb": "GET", "target": "/echo/{id}", "authType": "Any"}],
                }
            ],
        },
        "devportal": {"applications": [], "subscriptions": [], "keyMappings": []},
        "admin": {
            "throttlePolicies": {
                "subscription": [
                    {"policyName": "Unlimited", "defaultLimit": unlimited, "stopOnQuotaReach": True}
                ],
                "application": [],
                "advanced": [],
                "custom": [],
            },
            "denyPolicies": [],
            "keyManagers": [],
        },
    }


def nginx_conf(directory: Path, port: int, gateway_port: int, ca: Path, server: tuple[Path, Path]) -> Path:
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory};
    proxy_temp_path {directory};
    fastcgi_temp_path {directory};
    uwsgi_temp_path {directory};
    scgi_temp_path {directory};
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {server[0]};
        ssl_certificate_key {server[1]};
        ssl_client_certificate {ca};
        ssl_verify_client optional;
        location / {{
            proxy_pass http://127.0.0.1:{gateway_port};
            proxy_set_header Host localhost;
            # Replaces whatever a client sent under this name; empty (no certificate) sends none.
            proxy_set_header ssl-client-cert $ssl_client_escaped_cert;
        }}
    }}
}}
"""
    )
    return conf


@dataclass
class Deployment:
    nginx_url: str
    gateway_url: str
    ca: Path
    client: tuple[Path, Path]
    stranger: tuple[Path, Path]
    certificate: Issued

    def through_nginx(self, cert: tuple[Path, Path] | None) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.ca))
        if cert is not None:
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        return httpx.Client(base_url=self.nginx_url, verify=context, timeout=10)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("mtls")
    authority = TestAuthority()
    ca = workdir / "ca.crt"
    ca.write_text(authority.ca.pem)
    server = authority.issue("localhost", server=True).write(workdir, "server")
    certificate = authority.issue("orders-client")
    client = certificate.write(workdir, "client")
    stranger = authority.issue("stranger").write(workdir, "stranger")
    gateway_port, nginx_port = free_port(), free_port()
    with backend_process() as backend_port:
        snapshot = workdir / "snapshot.json"
        snapshot.write_text(json.dumps(orders_snapshot(backend_port, certificate)))
        env = {
            **os.environ,
            "APIM_MODE": "development",
            "APIM_PORT": str(gateway_port),
            "APIM_GATEWAY_SNAPSHOT_CACHE": str(snapshot),
            "APIM_GATEWAY_SNAPSHOT_WAIT": "0",
            "APIM_GATEWAY_SNAPSHOT_RETRY": "3600",
            "APIM_GATEWAY_ANALYTICS_ENABLED": "false",
            "APIM_GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
            "APIM_GATEWAY_CLIENT_CERT_HEADER": "ssl-client-cert",
            "APIM_GATEWAY_CLIENT_CERT_FORMAT": "nginx",
            "APIM_LOG_JSON": "false",
            "APIM_LOG_LEVEL": "WARNING",
            "OTEL_SDK_DISABLED": "true",
            **{f"APIM_{part}_URL": NOWHERE for part in ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")},
        }
        gateway = subprocess.Popen([sys.executable, "-m", "apim_gateway"], env=env, cwd=workdir)
        conf = nginx_conf(workdir, nginx_port, gateway_port, ca, server)
        with (workdir / "nginx.stderr").open("wb") as stderr:
            # -e: the log of the start itself, before the configuration names its own (a user
            # other than root may not write the packaged default).
            command = [nginx_binary(), "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "start.log")]
            nginx = subprocess.Popen(command, stderr=stderr)
        try:
            wait_for_port(gateway_port, timeout=60)
            wait_for_port(nginx_port)
            yield Deployment(
                f"https://localhost:{nginx_port}",
                f"http://127.0.0.1:{gateway_port}",
                ca,
                client,
                stranger,
                certificate,
            )
        finally:
            _stop(nginx)
            _stop(gateway)


def test_nginx_verified_client_certificate_reaches_the_api(deployment: Deployment) -> None:
    with deployment.through_nginx(deployment.client) as client:
        r = client.get(SECURED)
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/echo/1"


def test_call_through_nginx_without_a_certificate_is_refused(deployment: Deployment) -> None:
    with deployment.through_nginx(None) as client:
        bare = client.get(SECURED)
        # A header the client sets itself is replaced by nginx's (empty: none is sent).
        forged = client.get(SECURED, headers={"ssl-client-cert": deployment.certificate.escaped})
    assert bare.status_code == 401
    assert bare.json()["code"] == "900901"
    assert forged.status_code == 401


def test_a_certificate_the_api_does_not_know_is_refused_behind_nginx(deployment: Deployment) -> None:
    with deployment.through_nginx(deployment.stranger) as client:
        r = client.get(SECURED)  # signed by the CA nginx trusts, but not uploaded for the API
    assert r.status_code == 401
    assert r.json()["code"] == "900901"


def test_the_header_sent_straight_to_the_gateway_from_an_untrusted_address_is_refused(
    deployment: Deployment,
) -> None:
    forged = {"ssl-client-cert": deployment.certificate.escaped}
    untrusted = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(base_url=deployment.gateway_url, transport=untrusted, timeout=10) as client:
        r = client.get(SECURED, headers=forged)
    assert r.status_code == 401
    assert r.json()["code"] == "900901"
