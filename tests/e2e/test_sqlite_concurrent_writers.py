"""The embedded default holds concurrent writers: 32 clients seeding APIs at once through the
standalone runner's REST APIs (SQLite files) get no 5xx, and every write is there afterwards."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.standalone import admin_token, seed_api

pytestmark = pytest.mark.e2e

WRITERS = 32
PUBLISHER = "/api/am/publisher/v4"
DEVPORTAL = "/api/am/devportal/v3"
SCOPES = "apim:api_view apim:api_create apim:api_publish apim:subscribe apim:app_manage apim:sub_manage"


async def _write(
    http: httpx.AsyncClient, statuses: list[int], method: str, path: str, **kwargs: object
) -> httpx.Response:
    r = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
    statuses.append(r.status_code)
    return r


async def _publish(http: httpx.AsyncClient, name: str, statuses: list[int]) -> str:
    """Create, revise, deploy and publish one API."""
    r = await _write(
        http,
        statuses,
        "POST",
        f"{PUBLISHER}/apis",
        json=seed_api(name, ("/a", "GET")),
    )
    assert r.status_code == 201, r.text
    api_id: str = r.json()["id"]
    r = await _write(http, statuses, "POST", f"{PUBLISHER}/apis/{api_id}/revisions", json={})
    assert r.status_code == 201, r.text
    r = await _write(
        http,
        statuses,
        "POST",
        f"{PUBLISHER}/apis/{api_id}/deploy-revision",
        params={"revisionId": r.json()["id"]},
        json=[{"name": "Default", "vhost": "localhost"}],
    )
    assert r.status_code == 201, r.text
    r = await _write(
        http,
        statuses,
        "POST",
        f"{PUBLISHER}/apis/change-lifecycle",
        params={"apiId": api_id, "action": "Publish"},
    )
    assert r.status_code == 200, r.text
    return api_id


async def _subscribe(
    http: httpx.AsyncClient, name: str, api: asyncio.Task[str], statuses: list[int]
) -> tuple[str, str]:
    """Create an application while the API is being published, then subscribe it."""
    r = await _write(
        http,
        statuses,
        "POST",
        f"{DEVPORTAL}/applications",
        json={"name": name, "throttlingPolicy": "Unlimited"},
    )
    assert r.status_code == 201, r.text
    app_id: str = r.json()["applicationId"]
    api_id = await api
    body = {"applicationId": app_id, "apiId": api_id, "throttlingPolicy": "Unlimited"}
    # The published API reaches the DevPortal's catalog through the event bus, a moment later.
    for _ in range(600):  # up to 30 s on a loaded machine
        r = await _write(http, statuses, "POST", f"{DEVPORTAL}/subscriptions", json=body)
        if r.status_code != 404:
            break
        await asyncio.sleep(0.05)
    assert r.status_code == 201, r.text
    return api_id, app_id


async def _present(http: httpx.AsyncClient, seeded: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Every API published with its deployment, and every application holding its subscription."""
    missing: list[tuple[str, str, int]] = []
    for api_id, app_id in seeded:
        api = await http.get(f"{PUBLISHER}/apis/{api_id}")
        if api.status_code != 200 or api.json()["lifeCycleStatus"] != "PUBLISHED":
            missing.append(("api", api_id, api.status_code))
        deployments = await http.get(f"{PUBLISHER}/apis/{api_id}/deployments")
        if deployments.status_code != 200 or deployments.json()["count"] != 1:
            missing.append(("deployment", api_id, deployments.status_code))
        subscriptions = await http.get(f"{DEVPORTAL}/subscriptions", params={"applicationId": app_id})
        listed = subscriptions.json().get("list", []) if subscriptions.status_code == 200 else []
        if [s["apiId"] for s in listed] != [api_id]:
            missing.append(("subscription", app_id, subscriptions.status_code))
    return missing


async def _seed_concurrently(base: str) -> tuple[list[int], list[tuple[str, str, int]]]:
    """Half the writers publish an API each, the other half create an application and subscribe it
    to one of those APIs: 32 clients writing to the publisher's and the DevPortal's files at once."""
    limits = httpx.Limits(max_connections=WRITERS)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        token = await admin_token(http, f"writers_{uuid.uuid4().hex[:8]}", SCOPES)
        http.headers["Authorization"] = f"Bearer {token}"
        statuses: list[int] = []
        prefix = f"w{uuid.uuid4().hex[:6]}"
        apis = [asyncio.create_task(_publish(http, f"{prefix}n{n}", statuses)) for n in range(WRITERS // 2)]
        seeded = await asyncio.gather(
            *(_subscribe(http, f"{prefix}n{n}", api, statuses) for n, api in enumerate(apis))
        )
        return statuses, await _present(http, list(seeded))


def test_32_concurrent_writers_get_no_5xx_and_every_write_is_kept(platform: Platform) -> None:
    statuses, missing = asyncio.run(_seed_concurrently(platform.control_url))
    assert not [s for s in statuses if s >= 500], statuses
    assert len(statuses) >= WRITERS * 3
    assert missing == []
