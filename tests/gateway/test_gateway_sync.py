"""The runtime model: pulled on start, changed by events without a restart, kept through outages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from apim_common.events.topics import Topic
from tests.gateway.conftest import FakeControlPlane, Harness, RunningGateway, base_snapshot, pets_api
from tests.support.tokens import TokenFactory


async def test_the_snapshot_is_pulled_with_a_service_token(harness: Harness) -> None:
    internal = [(path, auth) for path, auth in harness.control_plane.calls if "/internal/" in path]
    # The key manager's revocation snapshot is pulled apart (the gateway does not wait for it).
    assert {path for path, _ in internal} - {"/api/am/keymanager/v1/internal/revocations"} == {
        "/api/am/publisher/v4/internal/snapshot",
        "/api/am/devportal/v3/internal/gateway-snapshot",
        "/api/am/admin/v4/internal/gateway-snapshot",
        "/api/am/publisher/v4/internal/environments/Default/policy-implementations",
        "/api/am/devportal/v3/internal/webhook-subscriptions",  # WebSub subscribers
    }
    assert all(auth == "Bearer service-token" for _, auth in internal)


async def test_a_deployment_event_serves_the_new_revision_without_a_restart(harness: Harness) -> None:
    artifact = pets_api(harness.backend_port, id="api-orders", context="/orders", revisionId="rev-o-1")
    artifact["operations"] = [{"verb": "GET", "target": "/echo/open", "authType": "None"}]
    harness.control_plane.artifacts["rev-o-1"] = artifact
    assert (await harness.client.get("/orders/1.0.0/echo/open")).status_code == 404
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        {"apiId": "api-orders", "revisionId": "rev-o-1", "environment": "Default", "vhost": "localhost"},
    )
    assert (await harness.client.get("/orders/1.0.0/echo/open")).status_code == 200
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.undeployed",
        {"apiId": "api-orders", "revisionId": "rev-o-1", "environment": "Default"},
    )
    assert (await harness.client.get("/orders/1.0.0/echo/open")).status_code == 404


async def test_a_deployment_to_another_environment_is_ignored(harness: Harness) -> None:
    harness.control_plane.artifacts["rev-x"] = pets_api(harness.backend_port, id="api-x", context="/x")
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        {"apiId": "api-x", "revisionId": "rev-x", "environment": "Other"},
    )
    assert "api-x" not in harness.gateway.state.apis


async def test_new_subscriptions_and_keys_take_effect_from_their_events(harness: Harness) -> None:
    headers = harness.bearer(client_id="client-new")
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).json()["code"] == "900908"
    await harness.publish(
        Topic.APPLICATIONS,
        "application.created",
        {"applicationId": "app-2", "name": "New", "owner": "bob", "throttlingPolicy": "Unlimited"},
    )
    await harness.publish(
        Topic.KEYS,
        "key-mapping.created",
        {
            "applicationId": "app-2",
            "keyType": "PRODUCTION",
            "keyManager": "Resident Key Manager",
            "consumerKey": "client-new",
        },
    )
    await harness.publish(
        Topic.SUBSCRIPTIONS,
        "subscription.created",
        {
            "subscriptionId": "sub-2",
            "applicationId": "app-2",
            "apiId": "api-pets",
            "throttlingPolicy": "Gold",
        },
    )
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).status_code == 200


async def test_with_the_bus_stopped_the_gateway_keeps_serving_what_it_had(harness: Harness) -> None:
    await harness.bus.stop()
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 200


async def test_the_snapshot_is_cached_and_loaded_when_the_control_plane_is_down_at_start(
    tmp_path: Path, tokens: TokenFactory, backend_port: int, harness: Harness
) -> None:
    cache = harness.gateway.settings.gateway_snapshot_cache
    assert cache is not None
    assert json.loads(cache.read_text())["publisher"]["artifacts"][0]["id"] == "api-pets"
    down = FakeControlPlane(tokens, base_snapshot(backend_port), up=False)
    # The key manager's JWKS is unreachable too: only the cached model and a warm JWKS would do;
    # the open resource needs neither.
    async with RunningGateway(tmp_path, down, {"gateway_snapshot_cache": cache}) as (gateway, _):
        assert gateway.syncer.ready.is_set()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://localhost"
        ) as c:
            assert (await c.get("/pets/1.0.0/echo/open")).status_code == 200


async def test_a_revision_that_cannot_be_compiled_leaves_the_served_one_in_place(harness: Harness) -> None:
    broken: dict[str, Any] = pets_api(harness.backend_port, revisionId="rev-bad")
    broken["apiPolicies"] = {"request": [{"policyName": "noSuchPolicy", "parameters": {}}]}
    assert not harness.gateway.state.deploy(broken)
    assert harness.gateway.state.apis["api-pets"].revision_id == "rev-pets-1"


async def test_a_resync_replaces_the_model_with_the_control_planes_current_snapshot(
    harness: Harness,
) -> None:
    # The control plane undeployed the API while the gateway's bus was cut off.
    harness.control_plane.snapshot["publisher"] = {"artifacts": [], "gatewayPolicies": []}
    harness.gateway.syncer.request_resync()
    harness.gateway.syncer.request_resync()  # coalesces with the running one
    for _ in range(200):
        if harness.gateway.syncer.resyncs:
            break
        await asyncio.sleep(0.01)
    assert "api-pets" not in harness.gateway.state.apis
    assert (await harness.client.get("/pets/1.0.0/echo/open")).status_code == 404


async def test_a_deployment_event_for_a_revision_no_longer_deployed_is_skipped(harness: Harness) -> None:
    # A late event: the control plane answers 404 for its revision; the served one stays.
    await asyncio.wait_for(
        harness.publish(
            Topic.DEPLOYMENTS,
            "deployment.deployed",
            {"apiId": "api-pets", "revisionId": "rev-gone", "environment": "Default"},
        ),
        timeout=5,
    )
    assert harness.gateway.state.apis["api-pets"].revision_id == "rev-pets-1"
    assert (await harness.client.get("/pets/1.0.0/echo/open")).status_code == 200


async def test_the_internal_state_lists_what_is_served_to_a_service_token_only(
    harness: Harness, tokens: TokenFactory
) -> None:
    assert (await harness.client.get("/internal/state")).status_code == 401
    user = {"Authorization": f"Bearer {tokens.mint('alice', 'apim:api_view')}"}
    assert (await harness.client.get("/internal/state", headers=user)).status_code == 401
    service = {"Authorization": f"Bearer {tokens.mint('svc', 'apim:internal')}"}
    r = await harness.client.get("/internal/state", headers=service)
    assert r.status_code == 200
    body = r.json()
    assert body["apis"]["api-pets"]["revisionId"] == "rev-pets-1"
    assert body["apis"]["api-pets"]["lifeCycleStatus"] == "PUBLISHED"
    assert body["snapshotComplete"] is True


async def test_deployments_from_events_are_written_to_the_snapshot_cache(harness: Harness) -> None:
    artifact = pets_api(harness.backend_port, id="api-orders", context="/orders", revisionId="rev-o-1")
    harness.control_plane.artifacts["rev-o-1"] = artifact
    await harness.publish(
        Topic.DEPLOYMENTS,
        "deployment.deployed",
        {"apiId": "api-orders", "revisionId": "rev-o-1", "environment": "Default"},
    )
    cache = harness.gateway.settings.gateway_snapshot_cache
    assert cache is not None
    for _ in range(200):
        if "api-orders" in {a["id"] for a in json.loads(cache.read_text())["publisher"]["artifacts"]}:
            break
        await asyncio.sleep(0.01)
    cached = json.loads(cache.read_text())["publisher"]["artifacts"]
    assert {a["id"]: a["revisionId"] for a in cached} == {"api-pets": "rev-pets-1", "api-orders": "rev-o-1"}
