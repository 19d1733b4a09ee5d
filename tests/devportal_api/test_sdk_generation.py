"""SDK generation in the Developer Portal: WSO2's /sdk-gen/languages and /apis/{apiId}/sdks/{language},
a zip of a client of the API's definition as the catalog serves it, bounded in time and size,
made once per definition and language."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from apim_devportal.sdkgen.cache import ZipCache
from apim_devportal.sdkgen.generators import PYTHON, OpenAPIGenerator, client_generators, detect
from apim_devportal.sdkgen.service import SDKs, build
from apim_devportal.settings import Settings
from tests.devportal_api.conftest import BASE, Portal, running_portal
from tests.support.tokens import TokenFactory

# One portal for the module: each test publishes APIs of its own and puts back what it changes.
pytestmark = pytest.mark.asyncio(loop_scope="module")

LISTING = """The following generators are available:

CLIENT generators:
    - ada
    - java
    - python
    - typescript-axios (beta)


SERVER generators:
    - spring
    - python-flask


DOCUMENTATION generators:
    - html
"""

# A stand-in openapi-generator-cli: lists LISTING, sleeps when asked for "slow", else writes a file.
FAKE_GENERATOR = f"""#!/bin/sh
if [ "$1" = list ]; then
cat <<'END'
{LISTING}
END
exit 0
fi
while [ $# -gt 0 ]; do
  case "$1" in
    -g) lang=$2; shift 2;;
    -o) out=$2; shift 2;;
    *) shift;;
  esac
done
if [ "$lang" = slow ]; then echo $$ > "$SDK_PID_FILE"; exec sleep 30; fi
if [ "$lang" = broken ]; then echo "no such generator: broken" >&2; exit 3; fi
mkdir -p "$out" && head -c "${{SDK_SIZE:-10}}" /dev/urandom > "$out/client.bin"
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def portal(tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Portal]:
    database = tmp_path_factory.mktemp("sdk-devportal") / "service.db"
    async with running_portal(tokens, f"sqlite+aiosqlite:///{database}") as running:
        yield running


def _fake_generator(directory: Path) -> Path:
    script = directory / "openapi-generator-cli"
    script.write_text(FAKE_GENERATOR)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _sdks(portal: Portal) -> SDKs:
    sdks: SDKs = portal.app.state.sdks
    return sdks


def _files(made: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def _deploy(portal: Portal, api_id: str) -> None:
    await portal.publish(
        "deployments",
        "deployment.deployed",
        api_id,
        {"apiId": api_id, "revisionId": "r1", "environment": "Default", "vhost": "localhost"},
    )


async def test_the_languages_are_python_without_openapi_generator(portal: Portal) -> None:
    r = await portal.client.get(f"{BASE}/sdk-gen/languages", headers=portal.headers())
    assert r.status_code == 200
    assert r.json() == sorted(_sdks(portal).generators)
    assert PYTHON in r.json()


async def test_sdk_resources_need_apim_subscribe(portal: Portal) -> None:
    api = await portal.publish_api(name="Scoped")
    viewer = portal.headers(scopes="apim:api_view")
    runs = _sdks(portal).runs
    for path in ("/sdk-gen/languages", f"/apis/{api['id']}/sdks/python"):
        refused = await portal.client.get(f"{BASE}{path}", headers=viewer)
        assert refused.status_code == 403
        assert refused.json()["code"] == 900910
        anonymous = await portal.client.get(f"{BASE}{path}")
        assert anonymous.status_code == 401
    assert _sdks(portal).runs == runs


async def test_an_api_the_caller_cannot_see_is_404(portal: Portal) -> None:
    hidden = await portal.publish_api(name="Hidden", visibility="RESTRICTED", visibleRoles=["gold-partners"])
    elsewhere = await portal.publish_api(name="Elsewhere", tenant="acme.com", visibility="PRIVATE")
    for api_id in (hidden["id"], elsewhere["id"], "no-such-api"):
        r = await portal.client.get(f"{BASE}/apis/{api_id}/sdks/python", headers=portal.headers())
        assert r.status_code == 404, r.text
        assert r.json()["message"] == "API Not Found"
    streaming = await portal.publish_api(name="Ticks", type="WS")
    r = await portal.client.get(f"{BASE}/apis/{streaming['id']}/sdks/python", headers=portal.headers())
    assert r.status_code == 404
    assert "no OpenAPI definition" in r.json()["description"]


async def test_an_unsupported_language_is_400_naming_the_supported_ones(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/sdks/cobol", headers=portal.headers())
    assert r.status_code == 400
    assert r.json()["message"] == "Unsupported SDK language"
    assert "python" in r.json()["description"]


async def test_the_definition_declares_path_parameters_and_the_api_key_header(portal: Portal) -> None:
    api = await portal.publish_api(
        name="Keyed",
        securityScheme=["oauth2", "api_key"],
        apiKeyHeader="X-Pizza-Key",
        operations=[
            {"target": "/orders/{orderId}/items/{item}", "verb": "GET"},
            {"target": "/health", "verb": "GET", "authType": "None"},
        ],
    )
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/swagger")
    document = r.json()
    operation = document["paths"]["/orders/{orderId}/items/{item}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["orderId", "item"]
    assert operation["security"] == [{"default": []}, {"api_key": []}]
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Pizza-Key",
    }
    assert document["paths"]["/health"]["get"]["security"] == []


class GatedGenerator:
    """Writes one file once let through (at once unless closed); counts its runs."""

    languages = frozenset({"gated"})

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.runs = 0

    async def generate(self, definition: Path, language: str, out: Path) -> None:
        self.runs += 1
        await self.gate.wait()
        out.mkdir()
        (out / "client.txt").write_text("client")


async def test_an_sdk_is_made_once_per_served_definition_and_language(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = GatedGenerator()
    monkeypatch.setitem(_sdks(portal).generators, "gated", gated)
    api = await portal.publish_api(name="PizzaShack")
    await _deploy(portal, api["id"])
    url = f"{BASE}/apis/{api['id']}/sdks/gated"
    first = await portal.client.get(url, headers=portal.headers())
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/zip"
    assert first.headers["content-disposition"] == 'attachment; filename="PizzaShack_gated_1.0.0.zip"'
    files = _files(first.content)
    served = (await portal.client.get(f"{BASE}/apis/{api['id']}/swagger")).content
    assert files["PizzaShack_gated_1.0.0/openapi.json"] == served
    assert json.loads(served)["servers"] == [{"url": "https://localhost:8243/pizzashack/1.0.0"}]
    assert files["PizzaShack_gated_1.0.0/client.txt"] == b"client"
    second = await portal.client.get(url.replace("gated", "GATED"), headers=portal.headers())
    assert second.content == first.content
    assert gated.runs == 1
    await portal.publish("apis", "api.updated", api["id"], {**api, "description": "New menu"})
    changed = await portal.client.get(url, headers=portal.headers())
    assert changed.status_code == 200
    assert gated.runs == 2


async def test_concurrent_requests_for_one_sdk_generate_it_once(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = await portal.publish_api(name="Busy")
    gated = GatedGenerator()
    gated.gate.clear()
    monkeypatch.setitem(_sdks(portal).generators, "gated", gated)
    url = f"{BASE}/apis/{api['id']}/sdks/gated"
    calls = [asyncio.create_task(portal.client.get(url, headers=portal.headers())) for _ in range(3)]
    while gated.runs == 0:
        await asyncio.sleep(0.01)
    gated.gate.set()
    answers = await asyncio.gather(*calls)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert gated.runs == 1
    assert _files(answers[0].content)["Busy_gated_1.0.0/client.txt"] == b"client"


async def test_a_generator_past_its_time_is_killed_and_answers_504(
    portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("SDK_PID_FILE", str(pid_file))
    sdks = _sdks(portal)
    monkeypatch.setitem(
        sdks.generators, "slow", OpenAPIGenerator(str(_fake_generator(tmp_path)), frozenset({"slow"}))
    )
    monkeypatch.setattr(sdks, "timeout", 0.5)
    api = await portal.publish_api(name="Slow")
    r = await portal.client.get(f"{BASE}/apis/{api['id']}/sdks/slow", headers=portal.headers())
    assert r.status_code == 504
    assert "APIM_SDK_GENERATION_TIMEOUT" in r.json()["description"]
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


async def test_a_failing_or_oversized_generation_is_a_clear_500_and_not_cached(
    portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdks = _sdks(portal)
    fake = OpenAPIGenerator(str(_fake_generator(tmp_path)), frozenset({"broken", "java"}))
    monkeypatch.setitem(sdks.generators, "broken", fake)
    monkeypatch.setitem(sdks.generators, "java", fake)
    api = await portal.publish_api(name="Faulty")
    broken = await portal.client.get(f"{BASE}/apis/{api['id']}/sdks/broken", headers=portal.headers())
    assert broken.status_code == 500
    assert broken.json()["message"] == "SDK generation failed"
    monkeypatch.setattr(sdks, "max_bytes", 4096)
    monkeypatch.setenv("SDK_SIZE", "20000")  # random bytes do not compress
    large = await portal.client.get(f"{BASE}/apis/{api['id']}/sdks/java", headers=portal.headers())
    assert large.status_code == 500
    assert large.json()["message"] == "SDK too large"
    assert "APIM_SDK_MAX_BYTES" in large.json()["description"]
    monkeypatch.setenv("SDK_SIZE", "100")
    small = await portal.client.get(f"{BASE}/apis/{api['id']}/sdks/java", headers=portal.headers())
    assert small.status_code == 200
    assert len(_files(small.content)["Faulty_java_1.0.0/client.bin"]) == 100


async def test_openapi_generator_client_languages_come_from_its_listing() -> None:
    assert client_generators(LISTING) == {"ada", "java", "python", "typescript-axios"}


async def test_openapi_generator_on_path_adds_its_client_languages_python_stays_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_generator(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    sdks = build(Settings(mode="development"))
    assert await sdks.languages() == ["ada", "java", "python", "typescript-axios"]
    assert isinstance(sdks.generators["java"], OpenAPIGenerator)
    assert not isinstance(sdks.generators["python"], OpenAPIGenerator)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert sorted(await detect(5)) == ["python"]


async def test_the_cache_keeps_the_most_recent_zips_within_its_byte_budget() -> None:
    cache = ZipCache(max_bytes=100)
    made: list[str] = []

    def maker(key: str, size: int) -> Any:
        async def make() -> bytes:
            made.append(key)
            return b"x" * size

        return make

    for key in ("a", "b", "c"):
        await cache.get(key, maker(key, 40))
    assert (len(cache), cache.size) == (2, 80)
    await cache.get("c", maker("c", 40))
    await cache.get("a", maker("a", 40))
    assert made == ["a", "b", "c", "a"]
    await cache.get("huge", maker("huge", 101))
    await cache.get("huge", maker("huge", 101))
    assert made[-2:] == ["huge", "huge"]
    assert cache.size <= 100
