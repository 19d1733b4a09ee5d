"""A policy implementation installed beside the gateway is found by its entry point.

The example package of tests/support/policy_example is installed for real: its module and a
``*.dist-info`` (METADATA, and the entry points of its ``pyproject.toml``) go into a temporary
directory put on the ``PYTHONPATH`` of a gateway started as its own process, so neither this
process nor the project's environment changes. The gateway pulls its snapshot over HTTP from a
fake control plane served on a local port, and calls the test backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from apim_gateway.policies import ENTRY_POINT_GROUP, installed_policies
from apim_gateway.policies.specs import BUILTIN_SPECS
from tests.gateway.conftest import FakeControlPlane, RunningGateway, base_snapshot, pets_api
from tests.support.processes import free_port, wait_for_port
from tests.support.tokens import TokenFactory

EXAMPLE = Path(__file__).resolve().parents[1] / "support" / "policy_example"
IMPLEMENTATION = "example.stampCaller"
STAMP = {
    "policyName": "stampCaller",
    "policyVersion": "v1",
    "policyType": "custom",
    "implementation": IMPLEMENTATION,
    "parameters": {"header": "X-Stamped-By", "value": "example-policy"},
}


def install_example(target: Path) -> None:
    """What installing the example's wheel puts in site-packages."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    shutil.copytree(EXAMPLE / "apim_policy_example", target / "apim_policy_example")
    dist_info = target / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items()) + "\n"
            for group, points in project["entry-points"].items()
        )
    )


@dataclass
class GatewayProcess:
    url: str
    control_plane: FakeControlPlane


@contextlib.contextmanager
def serve(control_plane: FakeControlPlane) -> Iterator[str]:
    """The fake control plane on a local port, served from a thread of its own."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(control_plane, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, tokens: TokenFactory, backend_port: int
) -> Iterator[GatewayProcess]:
    """One gateway process for the tests of this module: starting one takes seconds."""
    tmp_path = tmp_path_factory.mktemp("custom-policies")
    site = tmp_path / "site"
    site.mkdir()
    install_example(site)
    snapshot = copy.deepcopy(base_snapshot(backend_port))
    snapshot["publisher"]["artifacts"] = [
        pets_api(backend_port, apiPolicies={"request": [STAMP], "response": [], "fault": []})
    ]
    control_plane = FakeControlPlane(tokens, snapshot)
    with serve(control_plane) as control_url:
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
            "APIM_MODE": "development",
            "APIM_BUS": "memory",
            "APIM_PORT": str(port),
            "APIM_GATEWAY_SERVER": "uvicorn",
            "APIM_GATEWAY_SNAPSHOT_CACHE": str(tmp_path / "snapshot.json"),
            "APIM_LOG_LEVEL": "ERROR",
            **{
                f"APIM_{part}_URL": control_url for part in ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")
            },
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "apim_gateway"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield GatewayProcess(f"http://127.0.0.1:{port}", control_plane)
        finally:
            process.terminate()
            process.wait(timeout=10)


async def served(url: str, seconds: float = 60.0) -> httpx.Response:
    """The first answer of the gateway's API once it has synced (404 while it has not)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with httpx.AsyncClient() as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                response = await client.get(url, timeout=5.0)
                if response.status_code != 404:
                    return response
            if loop.time() > deadline:
                raise AssertionError(f"{url} was not served in time")
            await asyncio.sleep(0.1)


async def test_installed_policy_runs_through_the_gateway(gateway: GatewayProcess) -> None:
    response = await served(f"{gateway.url}/pets/1.0.0/echo/open")
    assert response.status_code == 200, response.text
    assert response.json()["headers"]["x-stamped-by"] == "example-policy"


async def test_gateway_reports_its_installed_implementations(gateway: GatewayProcess) -> None:
    await served(f"{gateway.url}/pets/1.0.0/echo/open")
    environment, implementations = gateway.control_plane.reports[-1]
    assert environment == "Default"
    assert IMPLEMENTATION in implementations
    # The built-ins are found the same way: the gateway's own package declares them.
    assert {"addHeader", "jsonValidator", "CORS"} <= set(implementations)


def test_every_builtin_policy_is_an_entry_point_of_the_gateway_package() -> None:
    declared = {
        point.name: point.value
        for point in distribution("apim-gateway").entry_points
        if point.group == ENTRY_POINT_GROUP
    }
    assert set(declared) == set(BUILTIN_SPECS)
    assert all(installed_policies()[name].name == name for name in declared)


@dataclass
class ControlPlaneWithoutReports(FakeControlPlane):
    """A publisher from before the report: the path is unknown to it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not scope["path"].endswith("/policy-implementations"):
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_a_publisher_without_the_report_still_serves_the_gateway_its_snapshot(
    tmp_path: Path, tokens: TokenFactory, backend_port: int
) -> None:
    control_plane = ControlPlaneWithoutReports(tokens, copy.deepcopy(base_snapshot(backend_port)))
    # Without the tolerance the publisher's part is retried for ever and the gateway never syncs.
    async with asyncio.timeout(30), RunningGateway(tmp_path, control_plane, {}) as (gateway, _):
        assert gateway.syncer.complete.is_set()
        assert "publisher" in gateway.syncer.parts
