"""Requests whose cost must not grow with the number of APIs: the statements they run are counted."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from apim_common.db import create_engine
from apim_common.migrations import upgrade
from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.support.statements import counted


async def _deployed(publisher: Publisher, n: int) -> str:
    api = await publisher.create_api({"name": f"Scale{n}", "context": f"/scale{n}"})
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    return str(api["id"])


async def _snapshot(publisher: Publisher) -> tuple[int, dict[str, Any]]:
    with counted(publisher.app.state.database.engine) as statements:
        r = await publisher.client.get(
            f"{BASE}/internal/snapshot", params={"environment": "Default"}, headers=publisher.internal()
        )
    assert r.status_code == 200, r.text
    # The outbox relay polls on the same engine meanwhile.
    return len([s for s in statements if "outbox" not in s]), r.json()


async def test_the_snapshot_runs_as_many_statements_for_four_deployed_apis_as_for_one(
    publisher: Publisher,
) -> None:
    ids = [await _deployed(publisher, 0)]
    await _snapshot(publisher)
    one, _ = await _snapshot(publisher)
    ids += [await _deployed(publisher, n) for n in range(1, 4)]
    four, body = await _snapshot(publisher)
    assert sorted(a["id"] for a in body["artifacts"]) == sorted(ids)
    assert one == four, (one, four)


async def test_a_snapshot_artifact_is_the_one_served_for_its_revision(publisher: Publisher) -> None:
    api_id = await _deployed(publisher, 9)
    _, body = await _snapshot(publisher)
    (artifact,) = body["artifacts"]
    r = await publisher.client.get(
        f"{BASE}/internal/runtime-artifacts/{artifact['revisionId']}",
        params={"environment": "Default"},
        headers=publisher.internal(),
    )
    assert r.json() == artifact
    identity = (artifact["id"], artifact["tenant"], artifact["lifeCycleStatus"])
    assert identity == (api_id, "carbon.super", "CREATED")
    assert artifact["context"] == PIZZA["context"].replace("pizza", "scale9")


async def _listed(publisher: Publisher, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    with counted(publisher.app.state.database.engine) as statements:
        r = await publisher.client.get(f"{BASE}/apis", params=params, headers=publisher.auth())
    assert r.status_code == 200, r.text
    return len([s for s in statements if "outbox" not in s]), r.json()


async def test_the_api_list_runs_as_many_statements_for_four_apis_as_for_one(publisher: Publisher) -> None:
    await publisher.create_api({"name": "Scale0", "context": "/scale0", "tags": ["food"]})
    await _listed(publisher, {})
    one, _ = await _listed(publisher, {"limit": "2"})
    for n in range(1, 4):
        await publisher.create_api({"name": f"Scale{n}", "context": f"/scale{n}", "tags": ["food", f"t{n}"]})
    four, body = await _listed(publisher, {"limit": "2"})
    assert one == four, (one, four)
    assert body["pagination"]["total"] == 4
    assert [a["name"] for a in body["list"]] == ["Scale0", "Scale1"]


async def test_a_search_by_tag_reads_the_tags_an_update_gave(publisher: Publisher) -> None:
    api = await publisher.create_api({"name": "Tagged", "context": "/tagged", "tags": ["old"]})
    r = await publisher.client.put(
        f"{BASE}/apis/{api['id']}",
        json={**PIZZA, "name": "Tagged", "context": "/tagged", "tags": ["fresh"]},
        headers=publisher.auth(),
    )
    assert r.status_code == 200, r.text
    _, found = await _listed(publisher, {"query": "tags:fresh"})
    _, gone = await _listed(publisher, {"query": "tags:old"})
    assert [a["name"] for a in found["list"]] == ["Tagged"]
    assert gone["list"] == []


async def test_the_listing_columns_of_existing_apis_are_filled_by_their_migration(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'publisher.db'}")
    try:
        await upgrade(engine, "apim_publisher", "0006")
        spec = {"description": "Menus", "tags": ["food", "pizza"], "accessControl": "RESTRICTED"}
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO apis (id, tenant, name, version, context, provider, lifecycle_status, type,"
                    " is_default_version, spec, revision_counter, row_version, created_at, updated_at,"
                    " updated_by) VALUES ('a1', 'carbon.super', 'Old', '1.0.0', '/old', 'admin', 'CREATED',"
                    " 'HTTP', 0, :spec, 0, 1, '2026-01-01', '2026-01-01', 'admin')"
                ),
                {"spec": json.dumps({**spec, "accessControlRoles": ["Chef"]})},
            )
        await upgrade(engine, "apim_publisher")
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT listed_description, listed_tags, listed_categories, access_roles FROM apis")
                )
            ).one()
        assert tuple(row) == ("Menus", "food\npizza", "", "chef")
    finally:
        await engine.dispose()
