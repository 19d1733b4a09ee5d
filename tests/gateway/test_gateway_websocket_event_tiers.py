"""Event limits of application tiers and of an API's advanced policy close a WebSocket API's
connection as a subscription tier's do (the WebSocket API and its backend are those of
test_gateway_websocket.py)."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.gateway.conftest import TENANT, Harness
from tests.gateway.test_gateway_websocket import (  # noqa: F401 (fixtures)
    CHAT,
    Backend,
    bearer,
    chat_snapshot,
    event_limit,
    gateway,
    ws_backend,
)


@pytest.fixture
def snapshot(ws_backend: Backend, backend_port: int) -> dict[str, dict[str, Any]]:  # noqa: F811
    """client-3's application subscribes with AsyncGold (50000 events a day) under a tier of four."""
    snapshot = chat_snapshot(ws_backend.port, backend_port)
    devportal = snapshot["devportal"]
    next(a for a in devportal["applications"] if a["applicationId"] == "app-3")["throttlingPolicy"] = (
        "FourEvents"
    )
    devportal["subscriptions"].append(
        {
            "subscriptionId": "sub-chat-3",
            "applicationId": "app-3",
            "apiId": CHAT,
            "throttlingPolicy": "AsyncGold",
            "status": "UNBLOCKED",
        }
    )
    admin = snapshot["admin"]["throttlePolicies"]
    admin["application"].append(
        {"policyName": "FourEvents", "defaultLimit": event_limit(4), "tenant": TENANT}
    )
    admin["advanced"].append(
        {"policyName": "FourApiEvents", "defaultLimit": event_limit(4), "tenant": TENANT}
    )
    return snapshot


async def _echoes_until_closed(url: str, headers: dict[str, str]) -> tuple[list[str | bytes], Any]:
    echoes: list[str | bytes] = []
    async with connect(f"{url}/chat/1.0.0/rooms/1", additional_headers=headers) as ws:
        for n in range(3):
            await ws.send(f"m{n}")
            try:
                echoes.append(await ws.recv())
            except ConnectionClosed:
                break
        await ws.wait_closed()
    return echoes, ws


async def test_an_application_tiers_event_limit_closes_the_connection(
    harness: Harness,
    gateway: str,  # noqa: F811
) -> None:
    echoes, ws = await _echoes_until_closed(gateway, bearer(harness, "client-3"))
    assert echoes == ["m0", "m1"]
    assert ws.close_code == 4003


async def test_an_apis_advanced_policy_event_limit_closes_the_connection(
    harness: Harness,
    gateway: str,  # noqa: F811
) -> None:
    api = next(a for a in harness.control_plane.snapshot["publisher"]["artifacts"] if a["id"] == CHAT)
    assert harness.gateway.state.deploy({**api, "apiThrottlingPolicy": "FourApiEvents"})
    echoes, ws = await _echoes_until_closed(gateway, bearer(harness))
    assert echoes == ["m0", "m1"]
    assert ws.close_code == 4003
