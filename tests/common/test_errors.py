"""Every control-plane error answers WSO2's error body; bad input is 400, never 422 or 500."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError

from apim_common.app import ServiceSpec, build_service_app
from apim_common.errors import BadRequest, Conflict
from apim_common.settings import ServiceSettings

router = APIRouter(prefix="/api/test/v1")


class ThingCreate(BaseModel):
    name: str
    count: int


@router.post("/things", status_code=201)
async def create_thing(body: ThingCreate) -> ThingCreate:
    if body.name == "taken":
        raise Conflict("A thing named taken exists", code=900250)
    return body


@router.post("/lookups")
async def look_up(body: ThingCreate) -> None:
    raise BadRequest(f"No thing is named {body.name}")


@router.get("/stored/{kind}")
async def store(kind: str) -> None:
    error = DataError if kind == "data" else IntegrityError
    raise error("INSERT INTO things VALUES (?)", ("a\x00b",), Exception("refused"))


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    spec = ServiceSpec(name="test", title="Test", prefixes=("/api/test/v1",), routers=[router])
    app = build_service_app(spec, ServiceSettings(mode="development"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def assert_error_shape(body: dict[str, object]) -> None:
    assert set(body) == {"code", "message", "description", "moreInfo", "error"}


async def test_malformed_json_is_400_in_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/test/v1/things", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert_error_shape(r.json())
    assert r.json()["error"][0]["message"] == "Malformed JSON"


async def test_wrong_type_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/test/v1/things", json={"name": "a", "count": "many"})
    assert r.status_code == 400
    body = r.json()
    assert_error_shape(body)
    assert body["code"] == 400
    assert [e["message"] for e in body["error"]] == ["count"]


async def test_missing_field_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/test/v1/things", json={"count": 1})
    assert r.status_code == 400
    assert "name" in r.json()["description"]


async def test_api_error_carries_its_code(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/test/v1/things", json={"name": "taken", "count": 1})
    assert r.status_code == 409
    assert r.json()["code"] == 900250
    assert r.json()["description"] == "A thing named taken exists"


async def test_unknown_path_is_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/test/v1/nothing")
    assert r.status_code == 404
    assert_error_shape(r.json())


async def test_unexpected_error_is_500_without_internals(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/test/v1/boom")
    assert r.status_code == 500
    assert_error_shape(r.json())
    assert "secret internals" not in r.text


async def test_openapi_document_is_served_under_the_prefix(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/test/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/test/v1/things" in r.json()["paths"]


async def test_an_error_quoting_a_lone_surrogate_answers_it_escaped(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/test/v1/lookups",
        content=b'{"name": "\\ud800", "count": 1}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["description"] == "No thing is named \\ud800"


@pytest.mark.parametrize(("kind", "status"), [("data", 400), ("integrity", 409)])
async def test_a_value_the_database_refuses_is_a_client_error_without_the_sql(
    client: httpx.AsyncClient, kind: str, status: int
) -> None:
    r = await client.get(f"/api/test/v1/stored/{kind}")
    assert r.status_code == status
    assert_error_shape(r.json())
    assert "INSERT" not in r.text
