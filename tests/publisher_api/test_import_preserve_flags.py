"""``POST /apis/import`` with WSO2's preserveProvider and preservePortalConfigurations: the provider a
project names is kept when that user exists in the importer's tenant, the importer becomes the
provider on preserveProvider=false, and an overwrite keeps the API's portal configurations on
request. On the shared standalone platform, since the provider check asks the real key manager."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.publisher_api.conftest import edit_project
from tests.support.standalone import PUBLISHER, Shared, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def shared(request: pytest.FixtureRequest) -> Shared:
    shared = shared_platform(request)
    users = shared.platform.control.get(
        "/scim2/Users", params={"filter": 'userName eq "importprov"'}, headers=bearer(shared.admin_token)
    )
    if not users.json().get("Resources"):
        shared.platform.add_user(shared.admin_token, "importprov", "importprov-pass", ["Internal/creator"])
    return shared


def _project(shared: Shared, edit: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """A new API, deleted again, and its exported project with ``edit`` applied to api.yaml."""
    s, auth = shared.platform, bearer(shared.admin_token)
    number = next(_numbers)
    body = {
        "name": f"PreserveFlags{number}",
        "context": f"/preserve-flags{number}",
        "version": "1.0.0",
        "description": "as exported",
        "tags": ["exported"],
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{shared.backend}/echo"},
        },
        "operations": [{"target": "/items", "verb": "GET"}],
    }
    created = s.control.post(f"{PUBLISHER}/apis", json=body, headers=auth)
    assert created.status_code == 201, created.text
    api: dict[str, Any] = created.json()
    exported = s.control.get(f"{PUBLISHER}/apis/export", params={"apiId": api["id"]}, headers=auth)
    assert exported.status_code == 200, exported.text
    assert s.control.delete(f"{PUBLISHER}/apis/{api['id']}", headers=auth).status_code == 200
    return api, edit_project(exported.content, "api.yaml", lambda data: data.update(edit))


def _import(shared: Shared, archive: bytes, **params: Any) -> Any:
    return shared.platform.control.post(
        f"{PUBLISHER}/apis/import",
        params={k: str(v).lower() for k, v in params.items()},
        files={"file": ("project.zip", archive, "application/zip")},
        headers=bearer(shared.admin_token),
    )


def _get(shared: Shared, api_id: str) -> dict[str, Any]:
    found = shared.platform.control.get(f"{PUBLISHER}/apis/{api_id}", headers=bearer(shared.admin_token))
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def test_import_keeps_the_projects_provider_when_that_user_exists(shared: Shared) -> None:
    _, archive = _project(shared, {"provider": "importprov"})
    imported = _import(shared, archive)
    assert imported.status_code == 200, imported.text
    assert _get(shared, imported.json()["id"])["provider"] == "importprov"


def test_import_with_preserve_provider_false_makes_the_importer_the_provider(shared: Shared) -> None:
    _, archive = _project(shared, {"provider": "importprov"})
    first = _import(shared, archive, preserveProvider=True)
    assert first.status_code == 200, first.text
    again = _import(shared, archive, preserveProvider=False, overwrite=True)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert _get(shared, again.json()["id"])["provider"] == "admin"


def test_import_refuses_a_provider_who_is_not_a_user_of_the_tenant_unless_told_not_to_keep_it(
    shared: Shared,
) -> None:
    api, archive = _project(shared, {"provider": "nobody-of-this-tenant"})
    refused = _import(shared, archive)
    assert refused.status_code == 400, refused.text
    assert "nobody-of-this-tenant" in refused.json()["description"]
    listed = shared.platform.control.get(
        f"{PUBLISHER}/apis", params={"query": f"name:{api['name']}"}, headers=bearer(shared.admin_token)
    )
    assert listed.json()["count"] == 0, "a refused import leaves nothing behind"
    taken = _import(shared, archive, preserveProvider=False)
    assert taken.status_code == 200, taken.text
    assert _get(shared, taken.json()["id"])["provider"] == "admin"


def test_overwrite_with_preserve_portal_configurations_keeps_the_apis_portal_side(shared: Shared) -> None:
    s, auth = shared.platform, bearer(shared.admin_token)
    _, archive = _project(shared, {})
    api_id = _import(shared, archive).json()["id"]
    current = _get(shared, api_id)
    edited = {**current, "description": "written in the portal", "tags": ["portal"]}
    assert s.control.put(f"{PUBLISHER}/apis/{api_id}", json=edited, headers=auth).status_code == 200
    pushed = edit_project(
        archive,
        "api.yaml",
        lambda data: data.update(
            description="pushed by the gateway",
            operations=[{"target": "/items", "verb": "GET"}, {"target": "/orders", "verb": "POST"}],
        ),
    )

    kept = _import(shared, pushed, overwrite=True, preservePortalConfigurations=True)
    assert kept.status_code == 200, kept.text
    after = _get(shared, api_id)
    assert (after["description"], after["tags"]) == ("written in the portal", ["portal"])
    assert {(o["verb"], o["target"]) for o in after["operations"]} == {("GET", "/items"), ("POST", "/orders")}

    replaced = _import(shared, pushed, overwrite=True)
    assert replaced.status_code == 200, replaced.text
    assert (_get(shared, api_id)["description"], _get(shared, api_id)["tags"]) == (
        "pushed by the gateway",
        ["exported"],
    )


def test_preserve_portal_configurations_without_overwrite_is_refused_naming_it(shared: Shared) -> None:
    _, archive = _project(shared, {})
    refused = _import(shared, archive, preservePortalConfigurations=True)
    assert refused.status_code == 400, refused.text
    assert "preservePortalConfigurations" in refused.json()["description"]
