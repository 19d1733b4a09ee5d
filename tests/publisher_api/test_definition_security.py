"""OpenAPI definitions are read as data: no reference outside the document is followed, no YAML
alias is expanded, nesting is bounded, and validation runs off the event loop within a budget."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from apim_publisher.definitions import openapi
from apim_publisher.definitions import service as definitions
from tests.publisher_api.conftest import BASE, Publisher
from tests.support.local_http import Canned, local_server


def with_response(response: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "Refs", "version": "1.0.0"},
        "paths": {"/x": {"get": {"responses": {"200": response}}}},
    }


async def _validate(publisher: Publisher, definition: str) -> httpx.Response:
    return await publisher.client.post(
        f"{BASE}/apis/validate-openapi", data={"inlineAPIDefinition": definition}, headers=publisher.auth()
    )


async def _import(publisher: Publisher, definition: str) -> httpx.Response:
    return await publisher.client.post(
        f"{BASE}/apis/import-openapi", data={"inlineAPIDefinition": definition}, headers=publisher.auth()
    )


async def _api_count(publisher: Publisher) -> int:
    listed = await publisher.client.get(f"{BASE}/apis", headers=publisher.auth())
    return int(listed.json()["count"])


async def test_a_file_reference_is_refused_and_the_file_never_read(publisher: Publisher) -> None:
    response = await _validate(publisher, json.dumps(with_response({"$ref": "file:///etc/passwd"})))
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Unsupported reference"
    assert "root:" not in response.text


async def test_a_url_reference_is_refused_and_never_fetched(publisher: Publisher) -> None:
    secret = b"description: the secret of an internal service\n"
    async with local_server({"/secret.yaml": Canned(200, secret)}) as server:
        ref = server.url("/secret.yaml")
        validated = await _validate(publisher, json.dumps(with_response({"$ref": ref})))
        imported = await _import(publisher, json.dumps(with_response({"$ref": ref + "#/description"})))
    assert server.seen == []
    for response in (validated, imported):
        assert response.status_code == 400, response.text
        assert "internal service" not in response.text
        assert response.json()["error"][0]["code"] == "900754"


async def test_local_references_still_resolve(publisher: Publisher) -> None:
    document = with_response({"$ref": "#/components/responses/Ok"})
    document["components"] = {"responses": {"Ok": {"description": "ok"}}}
    response = await _validate(publisher, json.dumps(document))
    assert response.status_code == 200, response.text
    assert response.json()["isValid"] is True


BILLION_LAUGHS = """
openapi: 3.0.1
info: {title: Laughs, version: 1.0.0}
x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
x-f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
paths: {}
"""


async def test_yaml_aliases_are_refused_and_nothing_is_stored(publisher: Publisher) -> None:
    response = await _import(publisher, BILLION_LAUGHS)
    assert response.status_code == 400, response.text
    assert "anchors and aliases" in response.json()["description"]
    assert len(response.content) < 2000
    assert await _api_count(publisher) == 0


@pytest.mark.parametrize(
    "definition",
    [
        '{"openapi": "3.0.1", "info": {"title": "Deep", "version": "1"}, "paths": {}, "x-deep": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        "openapi: 3.0.1\ninfo: {title: Deep, version: '1'}\npaths: {}\nx-deep: " + "[" * 5_000 + "]" * 5_000,
        json.dumps(
            {"openapi": "3.0.1", "info": {"title": "Deep", "version": "1"}, "paths": {}, "x-deep": [[[[[]]]]]}
        ).replace("[[[[[]]]]]", "[" * 500 + "]" * 500),
    ],
    ids=["json-100000", "yaml-5000", "json-500"],
)
async def test_deeply_nested_definitions_are_a_400_not_a_500(publisher: Publisher, definition: str) -> None:
    response = await _import(publisher, definition)
    assert response.status_code == 400, response.text
    assert "nested deeper than" in response.json()["description"]


async def test_validation_runs_off_the_event_loop_within_a_time_budget(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = openapi.validate

    def slow(document: dict[str, Any]) -> str:
        time.sleep(1.5)  # what a pathological definition costs the validator, on its worker thread
        return original(document)

    monkeypatch.setattr(openapi, "validate", slow)
    monkeypatch.setattr(definitions, "VALIDATION_SECONDS", 0.5)
    pending = asyncio.create_task(_validate(publisher, json.dumps(with_response({"description": "ok"}))))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    other = await publisher.client.get(f"{BASE}/apis", headers=publisher.auth())
    waited = time.monotonic() - started
    response = await pending
    assert other.status_code == 200
    assert waited < 0.5
    assert response.status_code == 200, response.text
    assert response.json()["isValid"] is False
    assert "within 0.5 seconds" in response.json()["errors"][0]["description"]


@pytest.mark.parametrize("keyword", ["$dynamicRef", "$schema", "$id"])
async def test_other_schema_keywords_naming_a_url_are_never_fetched(
    publisher: Publisher, keyword: str
) -> None:
    async with local_server({"/schema.json": Canned(200, b'{"type": "string"}')}) as server:
        schemas = {
            "Pet": {keyword: server.url("/schema.json"), "type": "object"},
            "Owner": {"$ref": "#/components/schemas/Pet"},
        }
        document = {"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}}
        await _validate(publisher, json.dumps({**document, "components": {"schemas": schemas}}))
    assert server.seen == []


async def test_deeply_nested_additional_properties_are_a_400_not_a_500(publisher: Publisher) -> None:
    definition = json.dumps(with_response({"description": "ok"}))
    response = await publisher.client.post(
        f"{BASE}/apis/import-openapi",
        data={"inlineAPIDefinition": definition, "additionalProperties": "[" * 100_000 + "]" * 100_000},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert "nested deeper than" in response.json()["description"]


WSDL = b"""<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="Calc"><service name="S"/></definitions>"""


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than"),
        ('["not", "an", "object"]', "must be a JSON object"),
        ('{"name": "Calc", "context": 7}', "context"),
    ],
    ids=["nested", "list", "bad-field"],
)
async def test_import_wsdl_answers_400_for_unusable_properties(
    publisher: Publisher, properties: str, expected: str
) -> None:
    response = await publisher.client.post(
        f"{BASE}/apis/import-wsdl",
        files={"file": ("c.wsdl", WSDL, "text/xml")},
        data={"additionalProperties": properties},
        headers=publisher.auth(),
    )
    assert response.status_code == 400, response.text
    assert expected in response.json()["description"]
