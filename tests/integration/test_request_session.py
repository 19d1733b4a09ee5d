"""The request's session on real PostgreSQL and on SQLite: committed when the endpoint returns,
rolled back when it raises, and a failed commit is never answered as a success."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import Column, ForeignKey, Integer, String, Table, func, insert, select

from apim_common.db import Database, SessionDep, install_database_error_handlers, new_metadata
from apim_common.errors import Conflict, install_error_handlers
from apim_common.events import new_event
from apim_common.events.outbox import emit, outbox_table

pytestmark = pytest.mark.infra

metadata = new_metadata()
things = Table("things", metadata, Column("name", String(50), primary_key=True))
owners = Table("owners", metadata, Column("id", Integer, primary_key=True))
# Checked at commit time only, so the endpoint itself succeeds and the commit fails.
pets = Table(
    "pets",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("owner_id", ForeignKey("owners.id", deferrable=True, initially="DEFERRED"), nullable=False),
)
outbox = outbox_table(metadata)

router = APIRouter()


@router.post("/things/{name}", status_code=201)
async def create_thing(name: str, session: SessionDep) -> dict[str, str]:
    await session.execute(insert(things).values(name=name))
    await emit(session, outbox, "apis", new_event("test", "thing.created", name, {"name": name}))
    return {"name": name}


@router.post("/things/{name}/taken")
async def create_then_conflict(name: str, session: SessionDep) -> None:
    await session.execute(insert(things).values(name=name))
    await emit(session, outbox, "apis", new_event("test", "thing.created", name, {"name": name}))
    raise Conflict(f"{name} is taken")


@router.post("/things/{name}/crash")
async def create_then_crash(name: str, session: SessionDep) -> None:
    await session.execute(insert(things).values(name=name))
    raise RuntimeError("unexpected")


@router.post("/pets/{name}", status_code=201)
async def create_orphan_pet(name: str, session: SessionDep) -> dict[str, str]:
    await session.execute(insert(pets).values(name=name, owner_id=404))
    return {"name": name}


class CountingRelay:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


@pytest.fixture(params=["postgres", "sqlite"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    db = Database(request.getfixturevalue(f"{request.param}_url"))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)  # ad-hoc schema of this test, no migrations
    yield db
    await db.dispose()


@pytest.fixture
def relay() -> CountingRelay:
    return CountingRelay()


@pytest.fixture
async def client(database: Database, relay: CountingRelay) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    install_database_error_handlers(app)
    app.include_router(router)
    app.state.database = database
    app.state.outbox_relay = relay
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def stored(database: Database, table: Table) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(table)) or 0


async def test_a_successful_request_commits_its_change_and_event(
    client: httpx.AsyncClient, database: Database
) -> None:
    r = await client.post("/things/a")
    assert r.status_code == 201
    assert await stored(database, things) == 1
    assert await stored(database, outbox) == 1


async def test_a_committed_event_wakes_the_relay_at_once(
    client: httpx.AsyncClient, relay: CountingRelay
) -> None:
    await client.post("/things/a")
    await client.post("/things/b/taken")
    assert relay.wakes == 1


async def test_an_api_error_rolls_back_the_change_and_its_event(
    client: httpx.AsyncClient, database: Database
) -> None:
    r = await client.post("/things/a/taken")
    assert r.status_code == 409
    assert await stored(database, things) == 0
    assert await stored(database, outbox) == 0


async def test_an_unexpected_error_rolls_back_the_change(
    client: httpx.AsyncClient, database: Database
) -> None:
    r = await client.post("/things/a/crash")
    assert r.status_code == 500
    assert await stored(database, things) == 0


async def test_a_failed_commit_is_not_answered_as_success(
    client: httpx.AsyncClient, database: Database
) -> None:
    # The pet's owner does not exist: the constraint breaks at commit, a conflict, not a success.
    r = await client.post("/pets/rex")
    assert r.status_code == 409
    assert r.json()["code"] == 409
    assert await stored(database, pets) == 0


async def test_a_later_request_is_unaffected_by_an_earlier_rollback(
    client: httpx.AsyncClient, database: Database
) -> None:
    assert (await client.post("/things/a/crash")).status_code == 500
    assert (await client.post("/things/a")).status_code == 201
    assert await stored(database, things) == 1
