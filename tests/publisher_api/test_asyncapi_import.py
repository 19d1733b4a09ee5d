"""Streaming APIs from AsyncAPI definitions: validated against the official schemas, typed by their
servers' protocols, their topics taken from the channels and kept in step with the definition."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml

from apim_common.outbound import OutboundPolicy, guarded_client
from tests.publisher_api.conftest import BASE, Publisher
from tests.support.local_http import Canned, LoopbackOnly, local_server

ORDERS_2 = {
    "asyncapi": "2.6.0",
    "info": {"title": "Orders", "version": "1.0.0", "description": "Live orders"},
    "servers": {"production": {"url": "wss://orders.example.com/ws", "protocol": "wss"}},
    "channels": {
        "/orders": {"subscribe": {"message": {"payload": {"type": "object"}}}},
        "/trades": {"subscribe": {}, "publish": {"message": {"payload": {"type": "string"}}}},
    },
}
SIGNUPS_3 = {
    "asyncapi": "3.0.0",
    "info": {"title": "Signups", "version": "2.0.0"},
    "servers": {"hub": {"host": "hub.example.com", "protocol": "https"}},
    "channels": {
        "signedUp": {"address": "user/signedup"},
        "deleted": {"address": "user/deleted"},
        "unused": {"address": "audit"},
    },
    "operations": {
        "sendSignedUp": {"action": "send", "channel": {"$ref": "#/channels/signedUp"}},
        "receiveDeleted": {"action": "receive", "channel": {"$ref": "#/channels/deleted"}},
    },
}


def _topics(api: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((op["verb"], op["target"]) for op in api["operations"])


async def _import(publisher: Publisher, document: dict[str, Any], **properties: Any) -> httpx.Response:
    return await publisher.client.post(
        f"{BASE}/apis/import-asyncapi",
        files={"file": ("orders.yaml", yaml.safe_dump(document).encode(), "application/yaml")},
        data={"additionalProperties": json.dumps(properties)} if properties else {},
        headers=publisher.auth(),
    )


async def test_import_asyncapi_file_creates_a_websocket_api_with_its_topics(publisher: Publisher) -> None:
    response = await _import(publisher, ORDERS_2, context="/orders", policies=["AsyncGold"])
    assert response.status_code == 201, response.text
    api = response.json()
    assert (api["name"], api["version"], api["context"], api["type"]) == ("Orders", "1.0.0", "/orders", "WS")
    assert api["description"] == "Live orders"
    assert _topics(api) == [("PUBLISH", "/trades"), ("SUBSCRIBE", "/orders"), ("SUBSCRIBE", "/trades")]
    assert response.headers["Location"].endswith(f"/apis/{api['id']}")
    stored = await publisher.client.get(f"{BASE}/apis/{api['id']}/asyncapi", headers=publisher.auth())
    assert stored.json() == ORDERS_2
    swagger = await publisher.client.get(f"{BASE}/apis/{api['id']}/swagger", headers=publisher.auth())
    assert swagger.json()["paths"] == {}  # the topics are not HTTP resources


async def test_asyncapi_3_operations_become_topics(publisher: Publisher) -> None:
    response = await _import(publisher, SIGNUPS_3)
    assert response.status_code == 201, response.text
    api = response.json()
    assert (api["type"], api["context"]) == ("WEBSUB", "/signups")
    # A channel no operation uses is no topic; send is what subscribers receive.
    assert _topics(api) == [("PUBLISH", "/user/deleted"), ("SUBSCRIBE", "/user/signedup")]
    summary = await publisher.client.post(
        f"{BASE}/apis/validate-asyncapi",
        params={"returnContent": "true"},
        data={"inlineAPIDefinition": json.dumps(SIGNUPS_3)},
        headers=publisher.auth(),
    )
    assert summary.json()["isValid"] is True
    assert json.loads(summary.json()["content"]) == SIGNUPS_3
    info = summary.json()["info"]
    assert (info["protocol"], info["asyncAPIVersion"], info["asyncTransportProtocols"]) == (
        "WEBSUB",
        "3.0.0",
        ["https"],
    )
    assert info["endpoints"] == ["https://hub.example.com"]


async def test_invalid_asyncapi_is_reported_with_its_errors(publisher: Publisher) -> None:
    broken = {
        "asyncapi": "2.6.0",
        "info": {"title": "Broken"},
        "channels": {"/orders": {"subscribe": {"message": 42}}},
    }
    checked = await publisher.client.post(
        f"{BASE}/apis/validate-asyncapi",
        files={"file": ("broken.json", json.dumps(broken).encode(), "application/json")},
        headers=publisher.auth(),
    )
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["isValid"] is False
    assert body.get("info") is None
    descriptions = [e["description"] for e in body["errors"]]
    assert any(d.startswith("info: 'version' is a required property") for d in descriptions), descriptions
    assert any(d.startswith("channels/") for d in descriptions), descriptions
    assert {e["code"] for e in body["errors"]} == {"900754"}
    refused = await _import(publisher, broken)
    assert refused.status_code == 400
    assert refused.json()["message"] == "Invalid AsyncAPI definition"
    assert len(refused.json()["error"]) == len(body["errors"])
    future = await _import(publisher, {**SIGNUPS_3, "asyncapi": "3.1.0"})
    assert future.status_code == 400
    assert "3.1.0" in future.json()["description"]
    not_streaming = await _import(publisher, ORDERS_2, type="HTTP")
    assert not_streaming.status_code == 400
    assert "streaming" in not_streaming.json()["description"]
    own_topics = await _import(publisher, ORDERS_2, operations=[{"target": "/x", "verb": "SUBSCRIBE"}])
    assert own_topics.status_code == 400
    assert "operations" in own_topics.json()["description"]
    unknown = await _import(publisher, ORDERS_2, qos=1)
    assert unknown.status_code == 400
    assert "qos" in unknown.text


@pytest.fixture
async def wire(publisher: Publisher) -> AsyncIterator[LoopbackOnly]:
    """The publisher's outbound client with the app's own policy, over a loopback-only transport."""
    app = publisher.app
    original = app.state.http, app.state.outbound
    transport = LoopbackOnly()
    app.state.outbound = guarded_client(OutboundPolicy.from_settings(app.state.settings), transport=transport)
    app.state.http = httpx.AsyncClient(transport=LoopbackOnly())
    yield transport
    await app.state.outbound.aclose()
    await app.state.http.aclose()
    app.state.http, app.state.outbound = original


async def test_import_by_url_goes_through_the_outbound_guard(
    publisher: Publisher, wire: LoopbackOnly
) -> None:
    metadata = await publisher.client.post(
        f"{BASE}/apis/import-asyncapi",
        data={"url": "http://169.254.169.254/latest/meta-data/orders.yaml"},
        headers=publisher.auth(),
    )
    assert metadata.status_code == 400, metadata.text
    assert metadata.json()["message"] == "Outbound address not allowed"
    assert wire.hosts == []
    served = {"/orders.yaml": Canned(200, yaml.safe_dump(ORDERS_2).encode())}
    async with local_server(served) as server:
        response = await publisher.client.post(
            f"{BASE}/apis/import-asyncapi",
            data={"url": server.url("/orders.yaml"), "additionalProperties": '{"context": "/live"}'},
            headers=publisher.auth(),
        )
    assert response.status_code == 201, response.text
    assert (response.json()["type"], response.json()["context"]) == ("WS", "/live")
    assert server.seen == ["/orders.yaml"]
    assert wire.hosts == ["127.0.0.1"]


async def test_put_topics_replaces_the_operations(publisher: Publisher) -> None:
    api = (await _import(publisher, ORDERS_2)).json()
    url = f"{BASE}/apis/{api['id']}/topics"
    topics = {
        "count": 2,
        "list": [
            {"name": "orders", "mode": "subscribe"},
            {"name": "alerts", "mode": "PUBLISH", "description": "Raise an alert"},
        ],
    }
    response = await publisher.client.put(url, json=topics, headers=publisher.auth())
    assert response.status_code == 200, response.text
    assert _topics(response.json()) == [("PUBLISH", "/alerts"), ("SUBSCRIBE", "/orders")]
    definition = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/asyncapi", headers=publisher.auth())
    ).json()
    assert definition["channels"] == {
        "/orders": ORDERS_2["channels"]["/orders"],  # what it said of a kept channel stays
        "alerts": {"publish": {}, "description": "Raise an alert"},
    }
    stale = await publisher.client.put(url, json=topics, headers={**publisher.auth(), "If-Match": '"0-old"'})
    assert stale.status_code == 412
    unknown = {"list": [{"name": "orders", "mode": "SUBSCRIBE", "qos": 1}]}
    refused = await publisher.client.put(url, json=unknown, headers=publisher.auth())
    assert refused.status_code == 400
    assert "qos" in refused.text
    truncated = await publisher.client.put(url, json={**topics, "count": 3}, headers=publisher.auth())
    assert truncated.status_code == 400
    assert "count" in truncated.text
    bad_mode = await publisher.client.put(
        url, json={"list": [{"name": "orders", "mode": "GET"}]}, headers=publisher.auth()
    )
    assert bad_mode.status_code == 400
    http_api = await publisher.create_api()
    not_streaming = await publisher.client.put(
        f"{BASE}/apis/{http_api['id']}/topics", json=topics, headers=publisher.auth()
    )
    assert not_streaming.status_code == 400
    viewer = await publisher.client.put(url, json=topics, headers=publisher.auth(["apim:api_view"]))
    assert viewer.status_code == 403


async def test_streaming_subscription_tiers_are_listed(publisher: Publisher) -> None:
    view = publisher.auth(["apim:api_view"])
    streaming = await publisher.client.get(f"{BASE}/throttling-policies/streaming/subscription", headers=view)
    assert streaming.status_code == 200, streaming.text
    tiers = {t["policyName"]: t for t in streaming.json()["list"]}
    assert set(tiers) == {
        "AsyncBronze",
        "AsyncSilver",
        "AsyncGold",
        "AsyncUnlimited",
        "AsyncWHBronze",
        "AsyncWHSilver",
        "AsyncWHGold",
    }
    assert tiers["AsyncSilver"]["defaultLimit"] == {
        "type": "EVENTCOUNTLIMIT",
        "eventCount": {"timeUnit": "day", "unitTime": 1, "eventCount": 25000},
    }
    assert (
        tiers["AsyncWHGold"]["defaultLimit"]["eventCount"]["timeUnit"],
        tiers["AsyncWHGold"]["subscriberCount"],
    ) == (
        "month",
        1000,
    )
    plain = await publisher.client.get(f"{BASE}/throttling-policies/subscription", headers=view)
    assert not {t["name"] for t in plain.json()["list"]} & set(tiers)
    events = {"type": "EVENTCOUNTLIMIT", "eventCount": {"timeUnit": "hour", "unitTime": 1, "eventCount": 300}}
    await publisher.tell(
        "throttle-policies",
        "throttle-policy.created",
        {"policyType": "subscription", "policy": {"policyName": "Ticker", "defaultLimit": events}},
    )
    again = await publisher.client.get(f"{BASE}/throttling-policies/streaming/subscription", headers=view)
    assert "Ticker" in {t["policyName"] for t in again.json()["list"]}
    refused = await publisher.client.get(
        f"{BASE}/throttling-policies/streaming/subscription", headers=publisher.auth(["apim:subscribe"])
    )
    assert refused.status_code == 403
