"""The standalone platform, served on a real port: what the key manager revokes or deactivates is
refused by the publisher, devportal and admin APIs within a second."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from apim_standalone.__main__ import _bind
from apim_standalone.composition import build_platform
from apim_standalone.settings import StandaloneSettings

# One read endpoint of each service; the bootstrap administrator's token opens all three.
READS = {
    "publisher": "/api/am/publisher/v4/apis",
    "devportal": "/api/am/devportal/v3/applications",
    "admin": "/api/am/admin/v4/throttling/policies/application",
}
SCOPES = "apim:api_view apim:subscribe apim:admin apim:tier_view"
WITHIN = 1.0


def _basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@contextlib.asynccontextmanager
async def standalone(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    sock = _bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    platform = build_platform(
        StandaloneSettings(data_dir=tmp_path, control_port=0, gateway_port=0),
        control_url=url,
        gateway_url="http://127.0.0.1:9",
    )
    server = uvicorn.Server(
        uvicorn.Config(platform.control_plane, lifespan="off", log_config=None, access_log=False)
    )
    async with platform.running():
        serving = asyncio.create_task(server.serve([sock]))
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                for _ in range(100):
                    if server.started:
                        break
                    await asyncio.sleep(0.05)
                yield client
        finally:
            server.should_exit = True
            await serving


async def _client_of(http: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    r = await http.post(
        "/client-registration/v0.17/register",
        json={
            "callbackUrl": "www.example.com",
            "clientName": f"tools_{username.replace('@', '_').replace('.', '_')}",
            "owner": username,
            "grantType": "password refresh_token client_credentials",
            "saasApp": True,
        },
        headers=_basic(username, password),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _token(http: httpx.AsyncClient, client: dict[str, Any], username: str, password: str) -> str:
    r = await http.post(
        "/oauth2/token",
        data={"grant_type": "password", "username": username, "password": password, "scope": SCOPES},
        headers=_basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def _refused_everywhere_within(http: httpx.AsyncClient, token: str, paths: dict[str, str]) -> float:
    """Seconds until every path answers 401 to ``token`` (at most ``WITHIN``, else it fails)."""
    started = time.monotonic()
    waiting = dict(paths)
    while waiting and time.monotonic() - started < WITHIN:
        for name, path in list(waiting.items()):
            r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 401:
                assert r.json()["code"] == 900901
                del waiting[name]
        await asyncio.sleep(0.02)
    assert not waiting, f"still accepted after {WITHIN}s by {sorted(waiting)}"
    return time.monotonic() - started


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    monkeypatch.setenv("APIM_LOG_JSON", "false")


@pytest.mark.usefixtures("development")
async def test_a_token_revoked_at_the_key_manager_gets_401_everywhere_within_a_second(tmp_path: Path) -> None:
    async with standalone(tmp_path) as http:
        client = await _client_of(http, "admin", "admin")
        token = await _token(http, client, "admin", "admin")
        for path in READS.values():
            assert (await http.get(path, headers={"Authorization": f"Bearer {token}"})).status_code == 200
        revoked = await http.post(
            "/oauth2/revoke",
            data={"token": token},
            headers=_basic(client["clientId"], client["clientSecret"]),
        )
        assert revoked.status_code == 200
        await _refused_everywhere_within(http, token, READS)
        fresh = await _token(http, client, "admin", "admin")
        for path in READS.values():
            assert (await http.get(path, headers={"Authorization": f"Bearer {fresh}"})).status_code == 200


@pytest.mark.usefixtures("development")
async def test_a_deactivated_tenant_gets_no_token_and_its_tokens_get_401_everywhere_within_a_second(
    tmp_path: Path,
) -> None:
    async with standalone(tmp_path) as http:
        admin = await _token(http, await _client_of(http, "admin", "admin"), "admin", "admin")
        as_admin = {"Authorization": f"Bearer {admin}"}
        created = await http.post(
            "/api/am/admin/v4/tenants",
            json={"domain": "acme.com", "adminUsername": "boss", "adminPassword": "pw-boss-1"},
            headers=as_admin,
        )
        assert created.status_code == 201, created.text
        client = await _client_of(http, "boss@acme.com", "pw-boss-1")
        token = await _token(http, client, "boss@acme.com", "pw-boss-1")
        tenant_reads = {
            "publisher": "/api/am/publisher/v4/apis",
            "devportal": "/api/am/devportal/v3/applications",
        }
        for path in tenant_reads.values():
            assert (await http.get(path, headers={"Authorization": f"Bearer {token}"})).status_code == 200
        deactivated = await http.put(
            "/api/am/admin/v4/tenants/acme.com/status", json={"status": "INACTIVE"}, headers=as_admin
        )
        assert deactivated.status_code == 200, deactivated.text
        await _refused_everywhere_within(http, token, tenant_reads)
        refused = await http.post(
            "/oauth2/token",
            data={"grant_type": "password", "username": "boss@acme.com", "password": "pw-boss-1"},
            headers=_basic(client["clientId"], client["clientSecret"]),
        )
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
