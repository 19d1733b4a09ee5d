"""Fixtures for tests against the real PostgreSQL and Kafka-compatible broker of ``scripts/infra``."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.conftest import infra_value
from tests.support.postgres import fresh_database

# Fast group joins on the test broker (see INFRA.md); production keeps aiokafka's defaults.
CONSUMER_OPTIONS: dict[str, Any] = {
    "session_timeout_ms": 1500,
    "heartbeat_interval_ms": 300,
    "rebalance_timeout_ms": 1500,
}


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh database for the test module, dropped afterwards, so modules never see each other's rows."""
    with fresh_database("apim_it") as url:
        yield url


@pytest.fixture
def kafka_bootstrap() -> str:
    return infra_value("APIM_TEST_KAFKA_BOOTSTRAP")


@pytest.fixture
def topic_prefix() -> str:
    """Topics of one test only: the broker is shared by every test."""
    return f"it-{uuid.uuid4().hex[:10]}."


def run_infra(*args: str) -> None:
    script = infra_value("APIM_TEST_INFRA_SCRIPT")
    subprocess.run([script, *args], check=True, capture_output=True, timeout=120)


class BrokerOutage:
    """Stops the broker; ``end`` (or leaving the ``with`` block, whatever happens) starts it again."""

    def __init__(self) -> None:
        self.down = False

    def __enter__(self) -> BrokerOutage:
        run_infra("stop", "kafka")
        self.down = True
        return self

    def end(self) -> None:
        if self.down:
            run_infra("start", "kafka")
            self.down = False

    def __exit__(self, *exc_info: object) -> None:
        self.end()


async def eventually(
    condition: Callable[[], Awaitable[bool]] | Callable[[], bool], *, timeout: float, what: str
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f}s: {what}")
        await asyncio.sleep(0.05)
