"""The Python SDK the Developer Portal generates for an API is a working client of it: imported
from the downloaded zip, it calls the API through the real gateway at the URL the portal serves,
with the application's token, and the gateway refuses it without one."""

from __future__ import annotations

import importlib
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.portals.conftest import PortalBrowser
from tests.support.standalone import DEVPORTAL, bearer, eventually, shared_platform

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@dataclass
class Downloaded:
    """The SDK's package, the definition it was made from, and a token that may call the API."""

    package: ModuleType
    definition: dict[str, Any]
    token: str
    gateway_url: str
    api_id: str
    control_url: str
    zip: bytes


@pytest.fixture(scope="module")
def sdk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Downloaded]:
    shared = shared_platform(request)
    s, token = shared.platform, shared.admin_token
    api_id = s.published_api(token, shared.backend, "SdkPizza", "/sdkpizza")
    app = s.subscribed_app(token, api_id, "SdkPizzaApp")
    call_token = s.app_token(app).json()["access_token"]
    r = s.control.get(f"{DEVPORTAL}/apis/{api_id}/sdks/python", headers=bearer(token), timeout=60)
    assert r.status_code == 200, r.text
    root = tmp_path_factory.mktemp("sdk")
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        archive.extractall(root)
    (folder,) = root.iterdir()
    (package_dir,) = [p.parent for p in folder.glob("*/client.py")]
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(package_dir.name)
        definition = json.loads((folder / "openapi.json").read_text())
        gateway_url = str(s.gateway.base_url).rstrip("/")
        yield Downloaded(package, definition, call_token, gateway_url, api_id, s.control_url, r.content)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == package_dir.name or m.startswith(package_dir.name + ".")]:
            del sys.modules[name]


def test_the_sdk_targets_the_gateway_url_the_portal_serves(sdk: Downloaded) -> None:
    assert sdk.definition["servers"] == [{"url": f"{sdk.gateway_url}/sdkpizza/1.0.0"}]


def test_the_generated_client_calls_the_api_through_the_gateway_with_a_token(sdk: Downloaded) -> None:
    get_menu = importlib.import_module(f"{sdk.package.__name__}.api.default.get_menu")
    base_url = sdk.definition["servers"][0]["url"]
    with sdk.package.AuthenticatedClient(base_url=base_url, token=sdk.token) as client:
        # Deployment reaches the gateway a moment after publishing.
        answer = eventually(
            lambda: _plain(get_menu.sync_detailed(client=client)), lambda r: r.status_code == 200
        )
    assert answer.status_code == 200, answer.text
    echoed = answer.json()
    assert echoed["method"] == "GET"
    assert echoed["path"] == "/echo/menu"
    with sdk.package.Client(base_url=base_url) as anonymous:
        refused = get_menu.sync_detailed(client=anonymous)
    assert refused.status_code == 401
    assert json.loads(refused.content)["code"] == "900902"


def _plain(response: Any) -> httpx.Response:
    """The generated client's response as an httpx one (its status and body)."""
    return httpx.Response(int(response.status_code), content=response.content)


def test_the_developer_portal_api_page_offers_the_sdk_download(sdk: Downloaded) -> None:
    user = PortalBrowser(sdk.control_url)
    try:
        user.sign_in("devportal", "admin", "admin")
        link = f"/devportal/apis/{sdk.api_id}/sdks/python"
        page = user.http.get(f"/devportal/apis/{sdk.api_id}")
        assert f'href="{link}"' in page.text
        download = user.http.get(link)
    finally:
        user.close()
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="SdkPizza_python_1.0.0.zip"'
    assert download.content == sdk.zip
