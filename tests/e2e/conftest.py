"""The standalone runner started as a user starts it (`python -m apim_standalone`), on free ports."""

from __future__ import annotations

import json
import os
import re
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

from tests.support.routing import PrefixRouter


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

    def control_client(self) -> httpx.Client:
        if self.service_urls is None:
            return httpx.Client(base_url=self.control_url, timeout=30)
        return httpx.Client(
            base_url="http://control-plane", transport=PrefixRouter(self.service_urls), timeout=30
        )

    def gateway_clients(self) -> list[httpx.Client]:
        return [httpx.Client(base_url=url, timeout=30) for url in (self.gateway_urls or [self.gateway_url])]


def _wait_for_urls(log: Path, process: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        control = re.search(r"Control plane: (http\S+)", text)
        gateway = re.search(r"Gateway:\s+(http\S+)", text)
        metrics = re.search(r"Metrics:\s+(http\S+)", text)
        if control and gateway and metrics:
            return control.group(1), gateway.group(1), metrics.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the standalone runner did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    workdir = tmp_path_factory.mktemp("standalone")
    log = workdir / "runner.log"
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_LOG_JSON": "false",
        "APIM_DATA_DIR": str(workdir / "data"),
        "APIM_CONTROL_PORT": "0",
        "APIM_GATEWAY_PORT": "0",
        "APIM_METRICS_PORT": "0",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "apim_standalone"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        control, gateway, metrics = _wait_for_urls(log, process)
        yield Platform(control, gateway, process, log, metrics_url=metrics)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        _stop(process)


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
