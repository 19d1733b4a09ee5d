"""Analytics events on the bus, Prometheus metrics, and trace context to the backend."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Histogram

from apim_common.events.bus import InProcessBus
from apim_common.events.envelope import CloudEvent, new_event
from apim_common.events.topics import Topic
from apim_gateway import observability
from apim_gateway.observability import ANALYTICS_DROPPED, Analytics, AnalyticsRecord, Metrics
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
    assert [d["proxyResponseCode"] for d in data] == [200, 401]
    assert data[0]["apiId"] == "api-pets"
    assert data[0]["applicationId"] == "app-1"
    assert data[0]["apiResourceTemplate"] == "/echo/{id}"
    assert data[1]["errorCode"] == 900902


@pytest.mark.parametrize("settings_overrides", [{"metrics_port": 0}])
async def test_metrics_count_requests_and_throttling_by_api(harness: Harness) -> None:
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    async with httpx.AsyncClient() as scraper:
        text = (await scraper.get(f"http://127.0.0.1:{harness.gateway.metrics_port}/metrics")).text
    assert 'apim_gateway_requests_total{api="Pets:1.0.0",method="GET",status="200"}' in text
    assert 'apim_gateway_request_duration_seconds_bucket{api="Pets:1.0.0"' in text


@pytest.mark.parametrize("settings_overrides", [{"metrics_port": 0}])
async def test_the_traffic_port_does_not_answer_metrics(harness: Harness) -> None:
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    r = await harness.client.get("/metrics")
    assert r.status_code == 404
    assert "apim_gateway_requests_total" not in r.text


@pytest.mark.parametrize("settings_overrides", [{"gateway_tracing": True}])
async def test_the_trace_context_is_propagated_to_the_backend(harness: Harness) -> None:
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    headers: dict[str, Any] = {**harness.bearer(), "traceparent": incoming}
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).json()["headers"]
    _version, trace_id, parent, _ = echoed["traceparent"].split("-")
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert parent != "b7ad6b7169203331"  # the gateway's own span is the backend's parent


class _Record:
    """A queued request: its event is what the drain publishes."""

    def __init__(self, status: int) -> None:
        self.status = status

    def build(self) -> CloudEvent:
        return new_event("/gateway/gw-1", "request.completed", "api-1", {"proxyResponseCode": self.status})


def _record(status: int) -> AnalyticsRecord:
    return _Record(status)


async def test_analytics_events_beyond_the_queue_size_are_dropped_and_counted() -> None:
    bus = InProcessBus()
    analytics = Analytics(bus, size=2, gateway_id="gw-1")
    dropped = ANALYTICS_DROPPED._value.get()
    for status in (200, 201, 202):
        analytics.record(_record(status))
    assert ANALYTICS_DROPPED._value.get() == dropped + 1
    seen: list[CloudEvent] = []

    async def collect(event: CloudEvent) -> None:
        seen.append(event)

    bus.subscribe([str(Topic.ANALYTICS)], "analytics-test", collect)
    await bus.start()
    analytics.start()
    try:
        for _ in range(100):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await analytics.stop()
        await bus.stop()
    assert [e.data["proxyResponseCode"] for e in seen] == [200, 201]


def test_analytics_event_ids_are_random_version_4_uuids() -> None:
    ids = [uuid.UUID(hex=observability.new_event_id()) for _ in range(2)]
    assert [(u.version, u.variant) for u in ids] == [(4, uuid.RFC_4122)] * 2
    assert ids[0] != ids[1]


def test_latency_buckets_count_like_a_prometheus_histogram() -> None:
    reference = Histogram(
        "reference_seconds", "", registry=CollectorRegistry(), buckets=observability._LATENCY_BUCKETS
    )
    metrics = Metrics()
    api = f"Buckets:{uuid.uuid4().hex}"
    for seconds in (0.0001, 0.0005, 0.00051, 0.003, 0.25, 10.0, 12.5):
        metrics.observe(api, "GET", 200, seconds)
        reference.observe(seconds)
    expected = {
        s.labels["le"]: s.value for s in next(iter(reference.collect())).samples if s.name.endswith("_bucket")
    }
    samples = [
        s
        for family in REGISTRY.collect()
        if family.name == "apim_gateway_request_duration_seconds"
        for s in family.samples
        if s.labels.get("api") == api
    ]
    assert {s.labels["le"]: s.value for s in samples if s.name.endswith("_bucket")} == expected
    assert [s.value for s in samples if s.name.endswith("_count")] == [7]
    assert [round(s.value, 5) for s in samples if s.name.endswith("_sum")] == [22.75411]
