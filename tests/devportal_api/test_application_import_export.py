"""GET /applications/export and POST /applications/import over HTTP: apimctl's archive, with
subscriptions and, on request, keys; import acts for the caller in the caller's tenant and honours
preserveOwner, appOwner, skipSubscriptions, skipApplicationKeys and update."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import yaml

from tests.support.standalone import ADMIN, DEVPORTAL, Shared, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest) -> dict[str, Any]:
    shared = shared_platform(request)
    api_id = shared.platform.published_api(shared.admin_token, shared.backend, "ExportedAPI", "/exported")
    app = shared.platform.subscribed_app(shared.admin_token, api_id, "Travelling App")
    return {"shared": shared, "api": api_id, "app": app}


def _export(shared: Shared, name: str, **params: Any) -> dict[str, Any]:
    r = shared.platform.control.get(
        f"{DEVPORTAL}/applications/export",
        params={"appName": name, **params},
        headers=bearer(shared.admin_token),
    )
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert archive.namelist() == ["TravellingApp/application.yaml"]
        document: dict[str, Any] = yaml.safe_load(archive.read("TravellingApp/application.yaml"))
    assert document["type"] == "application"
    return document


def _zip(document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("App/application.yaml", yaml.safe_dump(document))
    return buffer.getvalue()


def _import(shared: Shared, document: dict[str, Any], token: str | None = None, **params: Any) -> Any:
    return shared.platform.control.post(
        f"{DEVPORTAL}/applications/import",
        params={k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()},
        files={"file": ("app.zip", _zip(document), "application/zip")},
        headers=bearer(token or shared.admin_token),
    )


def _renamed(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {**document, "data": {**document["data"], "name": name}}


def test_an_exported_application_imports_with_its_subscriptions_and_update_is_needed_to_replace_it(
    world: dict[str, Any],
) -> None:
    shared: Shared = world["shared"]
    document = _export(shared, "Travelling App")
    data = document["data"]
    assert data["subscriptions"] == [
        {"apiName": "ExportedAPI", "apiVersion": "1.0.0", "throttlingPolicy": "Unlimited"}
    ]
    assert "keys" not in data

    copy = _import(shared, _renamed(document, "Imported Copy"))
    assert copy.status_code == 200, copy.text
    assert (copy.json()["name"], copy.json()["owner"], copy.json()["subscriptionCount"]) == (
        "Imported Copy",
        "admin",
        1,
    )
    again = _import(shared, _renamed(document, "Imported Copy"))
    assert again.status_code == 409
    assert "update" in again.json()["description"]
    updated = _import(
        shared, _renamed({**document, "data": {**data, "description": "v2"}}, "Imported Copy"), update=True
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "v2"

    bare = _import(shared, _renamed(document, "No Subscriptions"), skipSubscriptions=True)
    assert bare.status_code == 200, bare.text
    assert bare.json()["subscriptionCount"] == 0


def test_keys_are_exported_only_on_request_never_logged_and_imported_unless_skipped(
    world: dict[str, Any],
) -> None:
    shared: Shared = world["shared"]
    app = world["app"]
    document = _export(shared, "Travelling App", withKeys=True, format="YAML")
    [key] = document["data"]["keys"]
    assert (key["keyType"], key["consumerKey"], key["consumerSecret"]) == (
        "PRODUCTION",
        app["consumerKey"],
        app["consumerSecret"],
    )
    assert app["consumerSecret"] not in shared.platform.log.read_text()

    skipped = _import(shared, _renamed(document, "Keys Skipped"), skipApplicationKeys=True)
    assert skipped.status_code == 200, skipped.text
    listed = shared.platform.control.get(
        f"{DEVPORTAL}/applications/{skipped.json()['applicationId']}/oauth-keys",
        headers=bearer(shared.admin_token),
    )
    assert listed.json()["count"] == 0
    # Not skipped: the keys are mapped, so a client already mapped to the exported application is refused.
    mapped = _import(shared, _renamed(document, "Keys Mapped"))
    assert mapped.status_code == 400
    assert app["consumerKey"] in mapped.json()["description"]


def test_import_acts_for_the_caller_and_another_owner_needs_admin_and_a_user_of_the_tenant(
    world: dict[str, Any],
) -> None:
    shared: Shared = world["shared"]
    s = shared.platform
    s.add_user(shared.admin_token, "olly", "olly-pass", ["Internal/subscriber"])
    document = _export(shared, "Travelling App")

    given = _import(shared, _renamed(document, "For Olly"), appOwner="olly")
    assert given.status_code == 200, given.text
    assert given.json()["owner"] == "olly"
    seen = s.control.get(
        f"{ADMIN}/applications/{given.json()['applicationId']}", headers=bearer(shared.admin_token)
    )
    assert seen.json()["owner"] == "olly"

    preserved = _import(
        shared,
        {**document, "data": {**document["data"], "name": "Kept", "owner": "olly"}},
        preserveOwner=True,
    )
    assert preserved.json()["owner"] == "olly"
    dropped = _import(shared, {**document, "data": {**document["data"], "name": "Mine", "owner": "olly"}})
    assert dropped.json()["owner"] == "admin"

    exporter_only = s.token(scopes="apim:app_import_export")
    refused = _import(shared, _renamed(document, "Not Mine"), token=exporter_only, appOwner="olly")
    assert refused.status_code == 403
    elsewhere = _import(shared, _renamed(document, "Elsewhere"), appOwner="olly@other.example")
    assert elsewhere.status_code == 404
    assert (
        s.control.get(
            f"{DEVPORTAL}/applications/export",
            params={"appName": "Travelling App"},
            headers=bearer(s.token(scopes="apim:subscribe")),
        ).status_code
        == 403
    )


def test_an_archive_with_a_field_import_does_not_know_is_refused_naming_it(world: dict[str, Any]) -> None:
    shared: Shared = world["shared"]
    document = _export(shared, "Travelling App")
    r = _import(shared, {**document, "data": {**document["data"], "name": "Odd", "rateLimit": 5}})
    assert r.status_code == 400
    assert "rateLimit" in r.json()["description"]
    broken = shared.platform.control.post(
        f"{DEVPORTAL}/applications/import",
        files={"file": ("app.zip", b"not a zip", "application/zip")},
        headers=bearer(shared.admin_token),
    )
    assert broken.status_code == 400
