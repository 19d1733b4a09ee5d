"""A deactivated tenant: the gateway stops serving its APIs and refuses its tokens, at the event or
from the key manager's revocation snapshot on start; a reactivated tenant's APIs come back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from apim_common.events.envelope import new_event
from apim_common.events.topics import Topic
from tests.gateway.conftest import FakeControlPlane, Harness, RunningGateway, base_snapshot, pets_api
from tests.support.tokens import TokenFactory

OPEN = "/t/acme.com/shop/1.0.0/echo/open"


def acme_api(backend_port: int) -> dict[str, Any]:
    api = pets_api(
        backend_port, id="api-acme", tenant="acme.com", context="/t/acme.com/shop", revisionId="rev-acme-1"
    )
    api["operations"] = [{"verb": "GET", "target": "/echo/open", "authType": "None"}]
    return api


async def _deactivated(harness: Harness, event: str = "tenant.deactivated") -> None:
    await harness.publish(Topic.TOKEN_REVOCATIONS, event, {"domain": "acme.com"}, tenant="acme.com")


async def _eventually(check: Any) -> None:
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_a_deactivated_tenants_apis_are_no_longer_served(harness: Harness) -> None:
    assert harness.gateway.state.deploy(acme_api(harness.backend_port))
    assert (await harness.client.get(OPEN)).status_code == 200
    await _deactivated(harness)
    assert (await harness.client.get(OPEN)).status_code == 404
    assert (await harness.client.get("/pets/1.0.0/echo/open")).status_code == 200


async def test_a_deactivated_tenants_api_is_not_deployed_again_by_an_event_or_a_snapshot(
    harness: Harness,
) -> None:
    await _deactivated(harness)
    assert harness.gateway.state.deploy(acme_api(harness.backend_port))
    harness.control_plane.snapshot["publisher"]["artifacts"].append(acme_api(harness.backend_port))
    assert not await harness.gateway.syncer.pull()
    assert (await harness.client.get(OPEN)).status_code == 404


async def test_a_deactivated_tenants_tokens_are_refused_on_any_api(harness: Harness) -> None:
    token = {
        "Authorization": f"Bearer {harness.tokens.mint('boss', tenant='acme.com', client_id='client-1')}"
    }
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=token)).status_code == 200
    await _deactivated(harness)
    refused = await harness.client.get("/pets/1.0.0/echo/1", headers=token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "900901"
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).status_code == 200


async def test_a_reactivated_tenants_apis_and_tokens_come_back(harness: Harness) -> None:
    harness.control_plane.snapshot["publisher"]["artifacts"].append(acme_api(harness.backend_port))
    assert not await harness.gateway.syncer.pull()
    await _deactivated(harness)
    assert (await harness.client.get(OPEN)).status_code == 404
    await _deactivated(harness, "tenant.activated")

    async def served() -> bool:
        return (await harness.client.get(OPEN)).status_code == 200

    await _eventually(served)
    token = {
        "Authorization": f"Bearer {harness.tokens.mint('boss', tenant='acme.com', client_id='client-1')}"
    }
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=token)).status_code == 200


async def test_a_starting_gateway_learns_revocations_and_inactive_tenants_from_the_key_manager(
    tmp_path: Path, tokens: TokenFactory, backend_port: int
) -> None:
    snapshot = base_snapshot(backend_port)
    snapshot["publisher"]["artifacts"].append(acme_api(backend_port))
    revoked = tokens.mint("alice", client_id="client-1", jti="revoked-before-start")
    refused = {
        "revokedTokens": [{"jti": "revoked-before-start", "expiresAt": int(time.time()) + 3600}],
        "rules": [],
        "inactiveTenants": ["acme.com"],
    }
    control_plane = FakeControlPlane(tokens, snapshot, refused=refused)
    async with RunningGateway(tmp_path, control_plane, {}) as (gateway, _):
        await asyncio.wait_for(gateway.syncer.revocations_loaded.wait(), 5)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://localhost"
        ) as c:
            assert (await c.get(OPEN)).status_code == 404
            r = await c.get("/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {revoked}"})
            assert r.status_code == 401
            fresh = tokens.mint("alice", client_id="client-1")
            assert (
                await c.get("/pets/1.0.0/echo/1", headers={"Authorization": f"Bearer {fresh}"})
            ).status_code == 200


async def test_a_gateway_restarted_without_the_control_plane_still_refuses_a_deactivated_tenant(
    tmp_path: Path, tokens: TokenFactory, backend_port: int
) -> None:
    snapshot = base_snapshot(backend_port)
    snapshot["publisher"]["artifacts"].append(acme_api(backend_port))
    cache = {"gateway_snapshot_cache": tmp_path / "cache" / "snapshot.json"}
    async with RunningGateway(tmp_path, FakeControlPlane(tokens, snapshot), cache) as (_, bus):
        event = new_event("key-manager", "tenant.deactivated", "acme.com", {"domain": "acme.com"})
        await bus.publish(Topic.TOKEN_REVOCATIONS, event)
        await bus.drain()
    down = FakeControlPlane(tokens, snapshot, up=False)
    async with (
        RunningGateway(tmp_path, down, cache) as (gateway, _),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://localhost") as c,
    ):
        assert (await c.get("/pets/1.0.0/echo/open")).status_code == 200
        assert (await c.get(OPEN)).status_code == 404
