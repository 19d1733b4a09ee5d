"""The standalone runner started as a user starts it (`python -m apim_standalone`), on free ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import stop
from tests.support.routing import PrefixRouter
from tests.support.standalone import Runner, run_standalone


@dataclass
class Platform:
    control_url: str
    gateway_url: str
    process: subprocess.Popen[str]
    log: Path
    # Distributed mode: each service its own URL, and several gateways.
    service_urls: dict[str, str] | None = None
    gateway_urls: list[str] | None = None
    # Distributed mode: each process's pid, command and environment, by name (dist_run.py).
    processes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where /metrics answers (its own port): the standalone runner's, or each gateway's in turn.
    metrics_url: str | None = None
    gateway_metrics_urls: list[str] | None = None

    @classmethod
    def of(cls, runner: Runner) -> Platform:
        """The standalone runner's URLs and process."""
        return cls(
            runner.control_url, runner.gateway_url, runner.process, runner.log, metrics_url=runner.metrics_url
        )

    def control_client(self) -> httpx.Client:
        if self.service_urls is None:
            return httpx.Client(base_url=self.control_url, timeout=30)
        return httpx.Client(
            base_url="http://control-plane", transport=PrefixRouter(self.service_urls), timeout=30
        )

    def gateway_clients(self) -> list[httpx.Client]:
        return [httpx.Client(base_url=url, timeout=30) for url in (self.gateway_urls or [self.gateway_url])]


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with run_standalone(tmp_path_factory.mktemp("standalone"), {"APIM_METRICS_PORT": "0"}) as runner:
        yield Platform.of(runner)


@contextmanager
def run_distributed(
    workdir: Path, env: dict[str, str] | None = None, *, keep_going: bool = False
) -> Iterator[Platform]:
    """``scripts/dist_run.py --fresh`` in ``workdir``: new databases and topics of its own.

    ``keep_going``: the runner keeps the others up when one process exits (fault tests)."""
    log, state = workdir / "dist-run.log", workdir / "dist.json"
    full_env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_LOG_JSON": "false",
        # Topics of their own, so nothing left on the broker by another run is replayed here.
        "APIM_KAFKA_TOPIC_PREFIX": f"e2e{uuid.uuid4().hex[:8]}.",
        **(env or {}),
    }
    script = Path(__file__).resolve().parents[2] / "scripts" / "dist_run.py"
    argv = [sys.executable, str(script), "--state", str(state), "--fresh"]
    with log.open("w") as out:
        process = subprocess.Popen(
            [*argv, "--keep-going"] if keep_going else argv,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 180
        while not state.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the distributed runner did not start:\n{log.read_text()[-5000:]}")
            time.sleep(0.2)
        urls = json.loads(state.read_text())
        yield Platform(
            control_url=urls["services"]["publisher"],
            gateway_url=urls["gateways"][0],
            process=process,
            log=log,
            service_urls=urls["services"],
            gateway_urls=urls["gateways"],
            processes=urls.get("processes", {}),
            gateway_metrics_urls=urls["gateway_metrics"],
        )
    finally:
        stop(process)


@pytest.fixture(scope="session")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The runner of ``make dist-run``: each service its own process, real servers, two gateways."""
    with run_distributed(tmp_path_factory.mktemp("distributed")) as platform:
        yield platform


@pytest.fixture
def control(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.control_url, timeout=30) as client:
        yield client


@pytest.fixture
def gateway(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client
