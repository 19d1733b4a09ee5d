"""Bot-detection data: a call to a gateway's bot trap, over a real socket, reaches the Admin API's
``/bot-detection-data`` through the bus, credentials masked, for its tenant only."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from apim_admin.botdetection import service
from apim_common.events import CloudEvent, InProcessBus, Topic, new_event
from apim_common.events.bot_detection import RECORDED
from apim_gateway.app import Gateway
from apim_gateway.bottrap import BotTrap
from tests.admin_api.harness import Admin, running_admin
from tests.gateway.conftest import CP, FakeControlPlane, base_snapshot, gateway_settings
from tests.support.serving import serving
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRAPS = "/wp-login.php, /.env"


@dataclass
class World:
    admin: Admin
    gateway: httpx.AsyncClient

    async def trap(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, str]:
        """Calls ``path`` with a probe header naming this call; the answer and the probe."""
        probe = uuid.uuid4().hex
        headers = {"x-probe": probe, **kwargs.pop("headers", {})}
        return await self.gateway.request(method, path, headers=headers, **kwargs), probe

    async def listed(self, tenant: str = "carbon.super") -> list[dict[str, Any]]:
        r = await self.admin.get("/bot-detection-data?limit=1000", headers=self.admin.auth(tenant=tenant))
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["list"]
        return items

    async def recorded(self, probe: str, tenant: str = "carbon.super") -> dict[str, Any]:
        for _ in range(200):
            await self.admin.bus.drain()
            found = [item for item in await self.listed(tenant) if f"x-probe={probe}" in item["headerSet"]]
            if found:
                return found[0]
            await asyncio.sleep(0.01)
        raise AssertionError(f"the call {probe} was not recorded for {tenant}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("bot-detection")
    async with running_admin(tokens, f"sqlite+aiosqlite:///{tmp / 'admin.db'}") as admin:
        control_plane = FakeControlPlane(tokens, copy.deepcopy(base_snapshot(1)))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=control_plane), base_url=CP)
        gateway = Gateway(gateway_settings(tmp, gateway_bot_trap_paths=TRAPS), bus=admin.bus, http=http)
        try:
            async with (
                gateway.lifespan(),
                serving(gateway) as port,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
            ):
                yield World(admin, client)
        finally:
            await http.aclose()


async def test_trap_call_is_answered_404_and_listed_with_credentials_masked(world: World) -> None:
    secrets = {
        "Authorization": "Bearer eyJ-stolen-token",
        "Cookie": "JSESSIONID=s3ss10n",
        "apikey": "k3y-value",
        "X-Api-Key": "other-k3y",
        "User-Agent": "scanner/1.0",
    }
    r, probe = await world.trap("POST", "/wp-login.php", headers=secrets, content=b"log=admin&pwd=guess")
    assert r.status_code == 404
    assert r.json()["code"] == "900906"
    item = await world.recorded(probe)
    assert item["apiMethod"] == "POST"
    assert item["clientIp"] == "127.0.0.1"
    assert item["messageBody"] == "log=admin&pwd=guess"
    assert item["messageID"].startswith("urn:uuid:")
    assert isinstance(item["recordedTime"], int)
    header_set = item["headerSet"]
    assert "user-agent=scanner/1.0" in header_set
    assert "authorization=********" in header_set
    for value in ("eyJ-stolen-token", "s3ss10n", "k3y-value", "other-k3y"):
        assert value not in header_set


async def test_body_is_capped_at_4_kib(world: World) -> None:
    _, probe = await world.trap("PUT", "/.env", content=b"x" * 10_000)
    item = await world.recorded(probe)
    assert item["messageBody"] == "x" * 4096


async def test_only_the_configured_paths_are_recorded(world: World) -> None:
    unlisted, unlisted_probe = await world.trap("GET", "/admin.php")
    _, listed_probe = await world.trap("GET", "/.env")
    assert unlisted.status_code == 404
    await world.recorded(listed_probe)  # recorded after the unlisted call was answered
    assert not [i for i in await world.listed() if f"x-probe={unlisted_probe}" in i["headerSet"]]


async def test_tenant_trap_is_listed_to_that_tenant_only(world: World) -> None:
    r, probe = await world.trap("GET", "/t/acme.com/wp-login.php")
    assert r.status_code == 404
    item = await world.recorded(probe, tenant="acme.com")
    assert item["apiMethod"] == "GET"
    assert not [i for i in await world.listed() if f"x-probe={probe}" in i["headerSet"]]


async def test_list_is_newest_first_and_paginated(world: World) -> None:
    _, first = await world.trap("GET", "/.env")
    await world.recorded(first)
    await asyncio.sleep(0.002)  # recordedTime is in milliseconds
    _, second = await world.trap("GET", "/.env")
    await world.recorded(second)
    r = await world.admin.get("/bot-detection-data?limit=1")
    body = r.json()
    assert body["count"] == 1
    assert f"x-probe={second}" in body["list"][0]["headerSet"]
    assert body["pagination"]["total"] >= 2
    assert body["pagination"]["next"].endswith("?limit=1&offset=1")


async def test_a_caller_without_the_bot_data_scope_is_refused(world: World) -> None:
    refused = await world.admin.get("/bot-detection-data", headers=world.admin.auth("apim:api_view"))
    allowed = await world.admin.get("/bot-detection-data", headers=world.admin.auth("apim:bot_data"))
    assert refused.status_code == 403
    assert allowed.status_code == 200


async def test_a_tenant_keeps_only_its_newest_records(world: World) -> None:
    database = world.admin.app.state.database
    for n in range(5):
        data = {
            "recordedTime": 1_000 + n,
            "messageID": f"urn:uuid:flood-{n}",
            "apiMethod": "GET",
            "headerSet": "[]",
            "messageBody": "",
            "clientIp": "192.0.2.1",
        }
        event = new_event("/gw", RECORDED, data["messageID"], data, tenant="flood.example")
        async with database.session() as session, session.begin():
            await service.record(session, event, max_records=3)
    kept = await world.listed("flood.example")
    assert [i["messageID"] for i in kept] == [f"urn:uuid:flood-{n}" for n in (4, 3, 2)]


async def test_a_flood_of_trapped_calls_is_recorded_up_to_the_rate_cap() -> None:
    now = [100.0]
    trap = BotTrap(frozenset({"/.env"}), "gw-test", 2, clock=lambda: now[0])
    bus = InProcessBus()
    received: list[CloudEvent] = []

    async def keep(event: CloudEvent) -> None:
        received.append(event)

    bus.subscribe([Topic.BOT_DETECTION], "test", keep)
    await bus.start()
    trap.start(bus)
    answers: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answers.append(message["status"])

    scope = {"type": "http", "method": "GET", "path": "/.env", "headers": [], "client": ("192.0.2.9", 1)}
    for _ in range(5):
        await trap(scope, receive, send, "carbon.super")
    now[0] = 101.0  # the next second records again
    await trap(scope, receive, send, "carbon.super")
    await trap.stop()
    await bus.drain()
    await bus.stop()
    assert answers == [404] * 6
    assert len(received) == 3
    assert trap.dropped == 3


async def test_a_trap_is_matched_whole_at_the_root_or_under_a_tenant() -> None:
    trap = BotTrap(frozenset({"/.env"}), "gw-test", 20)
    assert trap.tenant_of("/.env") == "carbon.super"
    assert trap.tenant_of("/t/acme.com/.env") == "acme.com"
    too_long = "/t/" + "a" * 256 + "/.env"  # no tenant domain is that long
    for path in ("/x/.env", "/t/acme.com/x/.env", "/.envx", "/t//.env", "/pets/1.0.0/echo", too_long):
        assert trap.tenant_of(path) is None, path


async def test_an_event_whose_tenant_cannot_exist_is_skipped(world: World) -> None:
    tenant = "a" * 300
    data = {
        "recordedTime": 1,
        "messageID": "urn:uuid:long",
        "apiMethod": "GET",
        "headerSet": "[]",
        "messageBody": "",
        "clientIp": "",
    }
    event = new_event("/gw", RECORDED, "urn:uuid:long", data, tenant=tenant)
    async with world.admin.app.state.database.session() as session, session.begin():
        await service.record(session, event, max_records=10)  # no error: the consumer goes on
    async with world.admin.app.state.database.session() as session:
        page = await service.newest(session, tenant, limit=10, offset=0)
    assert page.count == 0
