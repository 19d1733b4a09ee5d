"""In ``make run`` the analytics service is composed in: its own SQLite file, fed by the shared bus."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from apim_common.events.topics import Topic
from apim_standalone.composition import build_platform
from apim_standalone.settings import StandaloneSettings
from tests.analytics.support import request_event

pytestmark = pytest.mark.timeout(120)


async def test_the_gateways_events_reach_the_rollups_in_the_analytics_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    settings = StandaloneSettings(data_dir=tmp_path, gateway_port=8280)
    platform = build_platform(
        settings, control_url="http://127.0.0.1:19443", gateway_url="http://127.0.0.1:25001"
    )
    services = {app.state.service_name: app for app in platform.control_plane.services}
    assert services["analytics"].state.path_prefixes == ("/api/am/analytics/v1",)
    async with platform.running():
        for _ in range(3):
            await platform.bus.publish(str(Topic.ANALYTICS), request_event())
        await platform.bus.drain()
    with sqlite3.connect(tmp_path / "analytics.db") as connection:
        (count,) = connection.execute("SELECT sum(request_count) FROM rollup_hour").fetchone()
    assert count == 3
