"""apimctl's API-product import with WSO2's importAPIs, overwriteAPIs and preserveProvider: the
export carries each member API's project under APIs/, and the flags decide what import does."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from apimctl.main import app
from tests.support.standalone import PUBLISHER, Shared, bearer, shared_platform

pytestmark = pytest.mark.timeout(120)


def _apimctl(env: dict[str, str], *args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def _member_api(shared: Shared) -> dict[str, Any]:
    s, auth = shared.platform, bearer(shared.admin_token)
    body = {
        "name": "BundledAPI",
        "context": "/bundled",
        "version": "1.0.0",
        "description": "as exported",
        "endpointConfig": {
            "endpoint_type": "http",
            "production_endpoints": {"url": f"{shared.backend}/echo"},
        },
        "operations": [{"target": "/items", "verb": "GET"}],
    }
    created = s.control.post(f"{PUBLISHER}/apis", json=body, headers=auth)
    assert created.status_code == 201, created.text
    api: dict[str, Any] = created.json()
    return api


def _rewrite(archive: bytes, change: dict[str, Any]) -> bytes:
    """The archive with fields of its api_product.yaml changed."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name.count("/") == 1 and name.endswith("/api_product.yaml"):
                document = yaml.safe_load(content)
                document["data"].update(change)
                content = yaml.safe_dump(document).encode()
            target.writestr(name, content)
    return buffer.getvalue()


def test_product_import_flags_bring_in_update_and_attribute_the_bundled_apis(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    shared = shared_platform(request)
    s, auth = shared.platform, bearer(shared.admin_token)
    api = _member_api(shared)
    product = s.control.post(
        f"{PUBLISHER}/api-products",
        json={
            "name": "Bundle",
            "context": "/bundle",
            "version": "1.0.0",
            "apis": [{"apiId": api["id"], "operations": [{"verb": "GET", "target": "/items"}]}],
        },
        headers=auth,
    )
    assert product.status_code == 201, product.text
    env = {"APIMCTL_CONFIG_DIR": str(tmp_path / "config"), "APIMCTL_KEYRING": "0", "NO_COLOR": "1"}
    assert _apimctl(env, "add", "env", "here", "--apim", s.control_url).exit_code == 0
    logged_in = CliRunner().invoke(
        app, ["login", "here", "-u", "admin", "--password-stdin"], env=env, input="admin\n"
    )
    assert logged_in.exit_code == 0, logged_in.output
    exported = _apimctl(
        env, "export", "api-product", "-n", "Bundle", "-v", "1.0.0", "-e", "here", "-o", tmp_path
    )
    assert exported.exit_code == 0, exported.output
    archive_path = next(tmp_path.rglob("Bundle_1.0.0.zip"))
    assert any("/APIs/" in n and n.endswith("/api.yaml") for n in zipfile.ZipFile(archive_path).namelist())

    assert (
        s.control.delete(f"{PUBLISHER}/api-products/{product.json()['id']}", headers=auth).status_code == 200
    )
    assert s.control.delete(f"{PUBLISHER}/apis/{api['id']}", headers=auth).status_code == 200
    without = _apimctl(env, "import", "api-product", "-f", archive_path, "-e", "here")
    assert without.exit_code != 0
    assert "BundledAPI" in without.output
    imported = _apimctl(env, "import", "api-product", "-f", archive_path, "-e", "here", "--import-apis")
    assert imported.exit_code == 0, imported.output
    [again] = [
        a
        for a in s.control.get(f"{PUBLISHER}/apis", headers=auth).json()["list"]
        if a["name"] == "BundledAPI"
    ]

    # An existing member is used as it is unless overwriteAPIs (--update-apis) is given.
    current = s.control.get(f"{PUBLISHER}/apis/{again['id']}", headers=auth).json()
    changed = s.control.put(
        f"{PUBLISHER}/apis/{again['id']}", json={**current, "description": "changed here"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    kept = _apimctl(
        env, "import", "api-product", "-f", archive_path, "-e", "here", "--update", "--import-apis"
    )
    assert kept.exit_code == 0, kept.output
    assert (
        s.control.get(f"{PUBLISHER}/apis/{again['id']}", headers=auth).json()["description"] == "changed here"
    )
    overwritten = _apimctl(
        env,
        "import",
        "api-product",
        "-f",
        archive_path,
        "-e",
        "here",
        "--update",
        "--import-apis",
        "--update-apis",
    )
    assert overwritten.exit_code == 0, overwritten.output
    assert (
        s.control.get(f"{PUBLISHER}/apis/{again['id']}", headers=auth).json()["description"] == "as exported"
    )

    # preserveProvider keeps the project's provider when it is a user of the tenant.
    s.add_user(shared.admin_token, "prov", "prov-pass", ["Internal/publisher"])
    moved = tmp_path / "moved.zip"
    moved.write_bytes(_rewrite(archive_path.read_bytes(), {"provider": "prov"}))
    preserved = _apimctl(env, "import", "api-product", "-f", moved, "-e", "here", "--update")
    assert preserved.exit_code == 0, preserved.output
    [bundle] = [
        p
        for p in s.control.get(f"{PUBLISHER}/api-products", headers=auth).json()["list"]
        if p["name"] == "Bundle"
    ]
    assert (
        s.control.get(f"{PUBLISHER}/api-products/{bundle['id']}", headers=auth).json()["provider"] == "prov"
    )
    mine = _apimctl(
        env, "import", "api-product", "-f", moved, "-e", "here", "--update", "--no-preserve-provider"
    )
    assert mine.exit_code == 0, mine.output
    assert (
        s.control.get(f"{PUBLISHER}/api-products/{bundle['id']}", headers=auth).json()["provider"] == "admin"
    )
    ghost = tmp_path / "ghost.zip"
    ghost.write_bytes(_rewrite(archive_path.read_bytes(), {"provider": "ghost"}))
    refused = _apimctl(env, "import", "api-product", "-f", ghost, "-e", "here", "--update")
    assert refused.exit_code != 0
    assert "preserveProvider" in refused.output


def test_overwrite_apis_without_import_apis_is_refused_naming_it(request: pytest.FixtureRequest) -> None:
    shared = shared_platform(request)
    r = shared.platform.control.post(
        f"{PUBLISHER}/api-products/import",
        params={"overwriteAPIs": "true"},
        files={"file": ("p.zip", b"PK", "application/zip")},
        headers=bearer(shared.admin_token),
    )
    assert r.status_code == 400
    assert "overwriteAPIs" in r.json()["description"]
