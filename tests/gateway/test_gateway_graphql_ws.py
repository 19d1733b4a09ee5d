"""GraphQL subscriptions over WebSocket through the gateway (served by uvicorn) to a real
graphql-core backend: both subprotocols, credentials at the handshake, and each subscribe checked
as a query is, refused with WSO2's codes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.gateway.conftest import Harness
from tests.gateway.test_gateway_graphql import graphql_snapshot
from tests.gateway.test_gateway_websocket import served
from tests.support.graphql_backend import graphql_backend

MODERN, LEGACY = "graphql-transport-ws", "graphql-ws"
SUBSCRIBE = {MODERN: "subscribe", LEGACY: "start"}
NEXT = {MODERN: "next", LEGACY: "data"}


@pytest.fixture(scope="module")
def graphql_port() -> Iterator[int]:
    with graphql_backend() as port:
        yield port


@pytest.fixture
def snapshot(backend_port: int, graphql_port: int) -> dict[str, dict[str, Any]]:
    return graphql_snapshot(backend_port, graphql_port)


@pytest.fixture
async def gateway(harness: Harness) -> AsyncIterator[str]:
    async with served(harness.gateway) as url:
        yield url


async def _open(
    harness: Harness, url: str, protocol: str, client: str = "client-3", scopes: str = "", api: str = "/films"
) -> ClientConnection:
    ws = await connect(
        f"{url}{api}/1.0.0",
        subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=harness.bearer(client, scopes),
    )
    assert ws.subprotocol == protocol
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def _subscribe(ws: ClientConnection, protocol: str, operation_id: str, query: str) -> dict[str, Any]:
    await ws.send(json.dumps({"id": operation_id, "type": SUBSCRIBE[protocol], "payload": {"query": query}}))
    answer: dict[str, Any] = json.loads(await ws.recv())
    return answer


def _code(answer: dict[str, Any]) -> int:
    assert answer["type"] == "error", answer
    payload = answer["payload"]
    detail = payload if isinstance(payload, dict) else payload[0]
    return int(detail["extensions"]["code"])


@pytest.mark.parametrize("protocol", [MODERN, LEGACY])
async def test_a_subscription_streams_over_either_subprotocol(
    harness: Harness, gateway: str, protocol: str
) -> None:
    async with await _open(harness, gateway, protocol) as ws:
        first = await _subscribe(ws, protocol, "1", "subscription { counter(upTo: 3) }")
        frames = [first] + [json.loads(await ws.recv()) for _ in range(3)]
    assert [f["type"] for f in frames] == [NEXT[protocol]] * 3 + ["complete"]
    assert [f["payload"]["data"]["counter"] for f in frames[:3]] == [1, 2, 3]


async def test_the_handshake_needs_credentials(harness: Harness, gateway: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{gateway}/films/1.0.0", subprotocols=[MODERN]):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize("protocol", [MODERN, LEGACY])
async def test_a_subscribe_too_deep_too_complex_or_invalid_gets_wso2s_codes(
    harness: Harness, gateway: str, protocol: str
) -> None:
    # client-1's tier: depth 5, complexity 1.
    async with await _open(harness, gateway, protocol, client="client-1", scopes="films:watch") as ws:
        deep = "subscription { filmAdded { planets { films { planets { films { id } } } } } }"
        assert _code(await _subscribe(ws, protocol, "1", deep)) == 4020
        assert _code(await _subscribe(ws, protocol, "2", "subscription { filmAdded { id } }")) == 4021
        assert _code(await _subscribe(ws, protocol, "3", "subscription { nothing }")) == 4022
        served_after = await _subscribe(ws, protocol, "4", "subscription { counter(upTo: 1) }")
        assert served_after["type"] == NEXT[protocol]


async def test_a_subscribe_needs_its_scopes_and_counts_at_its_tier(harness: Harness, gateway: str) -> None:
    async with await _open(harness, gateway, MODERN) as ws:
        assert _code(await _subscribe(ws, MODERN, "1", "subscription { filmAdded { id } }")) == 4002
        for operation_id in ("2", "3"):
            answer = await _subscribe(ws, MODERN, operation_id, "subscription { counter(upTo: 1) }")
            assert answer["type"] == "next"
            assert json.loads(await ws.recv())["type"] == "complete"
        assert _code(await _subscribe(ws, MODERN, "4", "subscription { counter(upTo: 1) }")) == 4003
    async with await _open(harness, gateway, MODERN, scopes="films:watch") as ws:
        answer = await _subscribe(ws, MODERN, "1", "subscription { filmAdded { title } }")
        assert answer["payload"]["data"]["filmAdded"]["title"] == "Film 7"


async def test_each_message_counts_as_an_event_on_the_subscription_tier(
    harness: Harness, gateway: str
) -> None:
    # FourEvents: connection_init, connection_ack, subscribe and the first next; the second next
    # is one too many.
    async with await _open(harness, gateway, MODERN, api="/films-metered") as ws:
        first = await _subscribe(ws, MODERN, "1", "subscription { counter(upTo: 5) }")
        assert first["payload"]["data"]["counter"] == 1
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4003, "Websocket frame throttled out")
