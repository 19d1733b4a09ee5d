"""The standalone control plane sends each path to the service that owns its prefix."""

from fastapi import FastAPI

from apim_standalone.composition import ControlPlane


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
