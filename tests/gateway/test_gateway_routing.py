"""Routing: tenant, context, version (and the default version), verb + URI template, vhost."""

from __future__ import annotations

import copy

import pytest

from tests.gateway.conftest import Harness, pets_api


async def test_a_versioned_path_reaches_the_backend_with_the_resource_path(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/42?a=1", headers=harness.bearer())
    assert r.status_code == 200
    echoed = r.json()
    assert echoed["path"] == "/echo/42"
    assert echoed["query"] == "a=1"
    assert echoed["headers"]["host"] == f"127.0.0.1:{harness.backend_port}"


async def test_the_default_version_answers_without_the_version_in_the_path(harness: Harness) -> None:
    r = await harness.client.get("/pets/echo/7", headers=harness.bearer())
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/7"


async def test_an_unknown_context_is_900906_with_404(harness: Harness) -> None:
    r = await harness.client.get("/nothing/1.0.0/x", headers=harness.bearer())
    assert r.status_code == 404
    assert r.json()["code"] == "900906"
    assert set(r.json()) == {"code", "message", "description"}


async def test_a_verb_without_an_operation_is_900906(harness: Harness) -> None:
    r = await harness.client.delete("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.status_code == 404
    assert r.json()["code"] == "900906"


async def test_the_credentials_are_not_sent_to_the_backend(harness: Harness) -> None:
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert "authorization" not in r.json()["headers"]
    assert r.json()["headers"]["x-forwarded-for"] == "127.0.0.1"


async def test_a_tenant_api_is_served_under_t_tenant(harness: Harness) -> None:
    api = pets_api(harness.backend_port, id="api-acme", tenant="acme.com", context="/t/acme.com/shop")
    api["securityScheme"] = ["oauth2"]
    api["operations"] = [{"verb": "GET", "target": "/echo/open", "authType": "None"}]
    assert harness.gateway.state.deploy(api)
    r = await harness.client.get("/t/acme.com/shop/1.0.0/echo/open")
    assert r.status_code == 200
    assert r.json()["path"] == "/echo/open"
    assert (await harness.client.get("/shop/1.0.0/echo/open")).status_code == 404


async def test_two_vhosts_serve_different_apis_on_one_context(harness: Harness) -> None:
    other = pets_api(harness.backend_port, id="api-pets-eu", vhost="eu.example.com")
    other["endpointConfig"] = {
        "endpoint_type": "http",
        "production_endpoints": {"url": f"http://127.0.0.1:{harness.backend_port}/echo/eu"},
    }
    other["operations"] = [{"verb": "GET", "target": "/open", "authType": "None"}]
    assert harness.gateway.state.deploy(other)
    eu = await harness.client.get("/pets/1.0.0/open", headers={"host": "eu.example.com:8280"})
    assert eu.json()["path"] == "/echo/eu/open"
    default = await harness.client.get("/pets/1.0.0/echo/open")
    assert default.json()["path"] == "/echo/open"


@pytest.mark.parametrize(
    ("target", "path", "expected"),
    [
        ("/orders/{id}/items/{item}", "/orders/9/items/3", "/echo/orders/9/items/3"),
        ("/files/*", "/files/a/b", "/echo/files/a/b"),
    ],
)
async def test_uri_templates_match_parameters_and_wildcards(
    harness: Harness, target: str, path: str, expected: str
) -> None:
    api = copy.deepcopy(pets_api(harness.backend_port, id="api-shop", context="/shop"))
    api["endpointConfig"]["production_endpoints"]["url"] += "/echo"
    api["operations"] = [{"verb": "GET", "target": target, "authType": "None"}]
    assert harness.gateway.state.deploy(api)
    r = await harness.client.get(f"/shop/1.0.0{path}")
    assert r.status_code == 200
    assert r.json()["path"] == expected


async def test_a_path_served_before_a_redeploy_is_routed_by_the_new_revision(harness: Harness) -> None:
    assert (await harness.client.get("/pets/1.0.0/echo/5", headers=harness.bearer())).status_code == 200
    revision = pets_api(harness.backend_port, revisionId="rev-pets-2")
    revision["operations"] = [{"verb": "GET", "target": "/json", "authType": "Any"}]
    assert harness.gateway.state.deploy(revision)
    r = await harness.client.get("/pets/1.0.0/echo/5", headers=harness.bearer())
    assert r.status_code == 404
    assert r.json()["code"] == "900906"
