"""Requests whose cost must not grow with the number of APIs: the statements they run are counted."""

from typing import Any

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
