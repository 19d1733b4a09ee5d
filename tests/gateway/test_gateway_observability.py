"""Analytics events on the bus, Prometheus metrics, and trace context to the backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness


async def test_each_request_publishes_an_analytics_event(harness: Harness) -> None:
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        seen.append(event)

    harness.bus.subscribe([str(Topic.ANALYTICS)], "analytics-test", collect)
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    await harness.client.get("/pets/1.0.0/echo/1")
    for _ in range(100):
        if len(seen) >= 2:
            break
        await asyncio.sleep(0.01)
    data = [e.data for e in seen]
    assert [d["responseCode"] for d in data] == [200, 401]
    assert data[0]["apiId"] == "api-pets"
    assert data[0]["applicationId"] == "app-1"
    assert data[0]["apiResourceTemplate"] == "/echo/{id}"
    assert data[1]["errorCode"] == "900902"


async def test_metrics_count_requests_and_throttling_by_api(harness: Harness) -> None:
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    text = (await harness.client.get("/metrics")).text
    assert 'apim_gateway_requests_total{api="Pets:1.0.0",method="GET",status="200"}' in text
    assert 'apim_gateway_request_duration_seconds_bucket{api="Pets:1.0.0"' in text


@pytest.mark.parametrize("settings_overrides", [{"gateway_tracing": True}])
async def test_the_trace_context_is_propagated_to_the_backend(harness: Harness) -> None:
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    headers: dict[str, Any] = {**harness.bearer(), "traceparent": incoming}
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).json()["headers"]
    _version, trace_id, parent, _ = echoed["traceparent"].split("-")
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert parent != "b7ad6b7169203331"  # the gateway's own span is the backend's parent
