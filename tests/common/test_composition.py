"""The standalone control plane sends each path to the service that owns its prefix."""

from pathlib import Path

import pytest
from fastapi import FastAPI

from apim_standalone.composition import ControlPlane, build_platform
from apim_standalone.settings import StandaloneSettings


def service(name: str, *prefixes: str) -> FastAPI:
    app = FastAPI()
    app.state.service_name = name
    app.state.path_prefixes = prefixes
    return app


def test_the_longest_matching_prefix_wins() -> None:
    keys, publisher = (
        service("km", "/oauth2", "/api/am/keymanager/v1"),
        service("pub", "/api/am/publisher/v4"),
    )
    plane = ControlPlane([keys, publisher])
    assert plane._route("/api/am/publisher/v4/apis") is publisher
    assert plane._route("/oauth2/token") is keys
    assert plane._route("/api/am/publisher/v40/apis") is None


def test_tenant_qualified_paths_reach_the_service_of_the_rest() -> None:
    devportal = service("dev", "/api/am/devportal/v3")
    plane = ControlPlane([devportal])
    assert plane._route("/t/acme.com/api/am/devportal/v3/apis") is devportal
    assert plane._route("/t/acme.com/unknown") is None


async def test_the_devportal_and_the_portals_learn_the_bound_gateway_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIM_MODE", "development")
    settings = StandaloneSettings(data_dir=tmp_path, gateway_port=8280)
    platform = build_platform(
        settings, control_url="http://127.0.0.1:19443", gateway_url="http://127.0.0.1:25001"
    )
    assert platform.control_plane.portals is not None
    assert platform.control_plane.portals.state.settings.gateway_url == "http://127.0.0.1:25001"
    devportal = {app.state.service_name: app for app in platform.control_plane.services}["devportal"]
    async with devportal.router.lifespan_context(devportal):
        assert devportal.state.settings.gateway_url == "http://127.0.0.1:25001"
