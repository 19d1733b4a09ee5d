"""The standalone runner started as a user starts it (`python -m apim_standalone`), on free ports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest


@dataclass
class Platform:
    control_url: str
    gateway_url: str
    process: subprocess.Popen[str]
    log: Path


def _wait_for_urls(log: Path, process: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        control = re.search(r"Control plane: (http\S+)", text)
        gateway = re.search(r"Gateway:\s+(http\S+)", text)
        if control and gateway:
            return control.group(1), gateway.group(1)
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
        control, gateway = _wait_for_urls(log, process)
        yield Platform(control, gateway, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def control(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.control_url, timeout=30) as client:
        yield client


@pytest.fixture
def gateway(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        yield client
