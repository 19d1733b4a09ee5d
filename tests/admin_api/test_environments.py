"""Gateway environments with vhosts; Default exists from the first start and is read-only."""

from tests.admin_api.harness import Admin

EDGE = {
    "name": "edge-eu",
    "displayName": "Edge EU",
    "type": "production",
    "vhosts": [{"host": "eu.gw.example.com", "httpContext": "", "httpPort": 80, "httpsPort": 443}],
}


async def test_default_environment_exists_and_is_read_only(admin: Admin) -> None:
    listed = (await admin.get("/environments")).json()
    default = next(e for e in listed["list"] if e["name"] == "Default")
    assert default["isReadOnly"] is True
    assert default["vhosts"][0]["host"] == "localhost"
    assert (await admin.delete(f"/environments/{default['id']}")).status_code == 400


async def test_an_environment_is_added_changed_and_removed_with_events(admin: Admin) -> None:
    created = await admin.post("/environments", json=EDGE)
    assert created.status_code == 201, created.text
    env_id = created.json()["id"]
    changed = await admin.put(f"/environments/{env_id}", json={**EDGE, "description": "EU edge"})
    assert changed.json()["description"] == "EU edge"
    assert (await admin.delete(f"/environments/{env_id}")).status_code == 200
    events = await admin.events_of("environments")
    assert [e.type for e in events] == ["environment.created", "environment.updated", "environment.deleted"]
    assert events[0].data["vhosts"][0]["host"] == "eu.gw.example.com"


async def test_environment_names_and_vhosts_are_validated(admin: Admin) -> None:
    assert (await admin.post("/environments", json={**EDGE, "name": "bad name!"})).status_code == 400
    assert (await admin.post("/environments", json={**EDGE, "vhosts": []})).status_code == 400
    assert (await admin.post("/environments", json=EDGE)).status_code == 201
    assert (await admin.post("/environments", json=EDGE)).status_code == 409
