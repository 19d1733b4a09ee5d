"""WSO2's ELK analytics drop-in: ``apimMetrics:`` lines that WSO2's Filebeat and Logstash read as they are."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from apim_common.events.bus import InProcessBus
from apim_common.events.envelope import CloudEvent, new_event
from apim_gateway.observability import (
    SSE_STREAM_EVENT,
    SSE_THROTTLED_EVENT,
    WEBSOCKET_CONNECTION_EVENT,
    WEBSOCKET_THROTTLED_EVENT,
    Analytics,
    ElkLog,
)
from apim_gateway.settings import Settings
from tests.gateway.conftest import Harness
from tests.gateway.test_gateway_analytics_events import FAULT_FIELDS, RESPONSE_FIELDS

# WSO2's ELK installation guide (wso2/docs-apim, api-analytics/on-prem/elk-installation-guide.md):
# Filebeat keeps the lines matching ``include_lines: ['(apimMetrics):']`` and Logstash runs
#   grok { match => ["message", "%{GREEDYDATA:UNWANTED}\ apimMetrics:%{GREEDYDATA:apimMetrics}\,
#          %{GREEDYDATA:UNWANTED} \:%{GREEDYDATA:properties}"] }  json { source => "properties" }
# then sends ``apimMetrics == " apim:response"`` to apim_event_response and " apim:faulty" to
# apim_event_faulty. The grok as a Python regex: GREEDYDATA is ``.*``, grok searches unanchored,
# and Python wants the second UNWANTED named apart.
FILEBEAT_INCLUDE = re.compile(r"(apimMetrics):")
GROK = re.compile(
    r"(?P<UNWANTED>.*)\ apimMetrics:(?P<apimMetrics>.*)\, (?P<UNWANTED_2>.*) \:(?P<properties>.*)"
)
# A user agent with the grok's separators inside it: the JSON must still come out whole.
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 probe :x, y :z"


def _log_file(tmp_path: Path) -> Path:
    return tmp_path / "apim_metrics.log"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"gateway_analytics_elk_log": True, "gateway_analytics_elk_log_file": _log_file(tmp_path)}


async def _lines(path: Path, count: int) -> list[str]:
    for _ in range(200):
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} lines in {path}")


def _logstash(line: str) -> tuple[str, dict[str, Any]]:
    """What WSO2's Logstash pipeline makes of one line: the index selector and the document."""
    assert FILEBEAT_INCLUDE.search(line)
    match = GROK.search(line)
    assert match is not None, line
    document: dict[str, Any] = json.loads(match["properties"])
    return match["apimMetrics"], document


async def test_wso2_grok_pattern_parses_our_apim_metrics_line(harness: Harness, tmp_path: Path) -> None:
    headers = {**harness.bearer(), "User-Agent": AGENT}
    assert (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).status_code == 200
    assert (await harness.client.get("/pets/1.0.0/echo/1")).status_code == 401
    response_line, fault_line = await _lines(_log_file(tmp_path), 2)
    metric, response = _logstash(response_line)
    assert metric == " apim:response"
    assert sorted(set(RESPONSE_FIELDS) - response.keys()) == []
    assert response["userAgentHeader"] == AGENT
    assert (response["apiName"], response["apiContext"], response["applicationOwner"]) == (
        "Pets",
        "/pets/1.0.0",
        "alice",
    )
    assert (response["eventType"], response["proxyResponseCode"], response["targetResponseCode"]) == (
        "response",
        200,
        200,
    )
    assert response["platform"] == "Linux"
    metric, fault = _logstash(fault_line)
    assert metric == " apim:faulty"
    assert (fault["errorType"], fault["errorCode"], fault["targetResponseCode"]) == ("AUTH", 900902, -1)
    assert sorted({*RESPONSE_FIELDS, *FAULT_FIELDS} - fault.keys()) == []


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_elk_log_is_off_by_default(harness: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    assert Settings(mode="development").gateway_analytics_elk_log is False
    published = harness.gateway.analytics.published
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    for _ in range(200):
        if harness.gateway.analytics.published > published:
            break
        await asyncio.sleep(0.01)
    assert harness.gateway.analytics.published > published  # the event went out, to the bus alone
    assert harness.gateway.analytics.elk_log is None
    assert "apimMetrics" not in "".join(capfd.readouterr())


class _Built:
    """A record whose event is already built, as a stream's record gives the drain."""

    def __init__(self, event: CloudEvent) -> None:
        self.event = event

    def build(self) -> CloudEvent:
        return self.event


@pytest.mark.parametrize(
    ("type_", "event_type", "metric"),
    [
        (WEBSOCKET_CONNECTION_EVENT, "response", " apim:response"),
        (SSE_STREAM_EVENT, "response", " apim:response"),
        (WEBSOCKET_THROTTLED_EVENT, "fault", " apim:faulty"),
        (SSE_THROTTLED_EVENT, "fault", " apim:faulty"),
    ],
)
async def test_websocket_and_sse_events_are_written_as_apim_metrics_lines(
    tmp_path: Path, type_: str, event_type: str, metric: str
) -> None:
    """WSO2 writes its streaming APIs' events to the same log as its requests'."""
    bus = InProcessBus()
    analytics = Analytics(bus, size=8, gateway_id="gw-1", elk_log=ElkLog(_log_file(tmp_path)))
    data = {"apiId": "api-ticks", "apiType": "SSE", "eventType": event_type, "userAgentHeader": AGENT}
    analytics.record(_Built(new_event("/gateway/gw-1", type_, "api-ticks", data)))
    await bus.start()
    analytics.start()
    try:
        [line] = await _lines(_log_file(tmp_path), 1)
    finally:
        await analytics.stop()
        await bus.stop()
    assert _logstash(line) == (metric, data)
