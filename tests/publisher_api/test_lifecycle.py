"""WSO2's lifecycle: every legal transition works, every other one is refused, approvals hold changes."""

from __future__ import annotations

import pytest

from tests.publisher_api.conftest import BASE, Publisher, workflow_config

STATES = ("CREATED", "PROTOTYPED", "PUBLISHED", "BLOCKED", "DEPRECATED", "RETIRED")
ACTIONS = (
    "Publish",
    "Deploy as a Prototype",
    "Demote to Created",
    "Block",
    "Deprecate",
    "Re-Publish",
    "Retire",
)
LEGAL = {
    ("CREATED", "Publish"): "PUBLISHED",
    ("CREATED", "Deploy as a Prototype"): "PROTOTYPED",
    ("PROTOTYPED", "Publish"): "PUBLISHED",
    ("PROTOTYPED", "Demote to Created"): "CREATED",
    ("PROTOTYPED", "Deploy as a Prototype"): "PROTOTYPED",
    ("PUBLISHED", "Block"): "BLOCKED",
    ("PUBLISHED", "Deploy as a Prototype"): "PROTOTYPED",
    ("PUBLISHED", "Demote to Created"): "CREATED",
    ("PUBLISHED", "Deprecate"): "DEPRECATED",
    ("PUBLISHED", "Publish"): "PUBLISHED",
    ("BLOCKED", "Deprecate"): "DEPRECATED",
    ("BLOCKED", "Re-Publish"): "PUBLISHED",
    ("DEPRECATED", "Retire"): "RETIRED",
}
PATH_TO = {
    "CREATED": [],
    "PROTOTYPED": ["Deploy as a Prototype"],
    "PUBLISHED": ["Publish"],
    "BLOCKED": ["Publish", "Block"],
    "DEPRECATED": ["Publish", "Deprecate"],
    "RETIRED": ["Publish", "Deprecate", "Retire"],
}


async def _api_in(publisher: Publisher, state: str, n: int) -> str:
    api = await publisher.create_api({"name": f"LC {n}", "context": f"/lc{n}"})
    for action in PATH_TO[state]:
        response = await publisher.lifecycle(api["id"], action)
        assert response.status_code == 200, response.text
    return str(api["id"])


async def test_every_legal_transition_works_and_every_illegal_one_is_400(publisher: Publisher) -> None:
    n = 0
    for state in STATES:
        n += 1
        probe = await _api_in(publisher, state, n)
        for action in ACTIONS:
            if (state, action) in LEGAL:
                n += 1
                api_id = await _api_in(publisher, state, n)
                response = await publisher.lifecycle(api_id, action)
                assert response.status_code == 200, (state, action, response.text)
                assert response.json()["workflowStatus"] == "APPROVED"
                target = LEGAL[(state, action)]
                assert response.json()["lifecycleState"]["state"] == target.capitalize()
                fetched = await publisher.client.get(f"{BASE}/apis/{api_id}", headers=publisher.auth())
                assert fetched.json()["lifeCycleStatus"] == target
            else:
                response = await publisher.lifecycle(probe, action)
                assert response.status_code == 400, (state, action)
        state_now = await publisher.client.get(
            f"{BASE}/apis/{probe}/lifecycle-state", headers=publisher.auth()
        )
        assert state_now.json()["state"] == state.capitalize()
        offered = {t["event"] for t in state_now.json()["availableTransitions"]}
        assert offered == {a for (s, a) in LEGAL if s == state}


async def test_an_unknown_action_is_400(publisher: Publisher) -> None:
    api = await publisher.create_api()
    assert (await publisher.lifecycle(api["id"], "Explode")).status_code == 400


async def test_publishing_without_an_endpoint_or_deployment_is_refused(publisher: Publisher) -> None:
    api = await publisher.create_api({"endpointConfig": None})
    refused = await publisher.lifecycle(api["id"], "Publish")
    assert refused.status_code == 400
    revision = await publisher.revise(api["id"])
    assert (await publisher.deploy(api["id"], revision["id"])).status_code == 201
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 200


async def test_lifecycle_changes_need_the_publish_scope(publisher: Publisher) -> None:
    api = await publisher.create_api()
    response = await publisher.client.post(
        f"{BASE}/apis/change-lifecycle",
        params={"apiId": api["id"], "action": "Publish"},
        headers=publisher.auth(["apim:api_create", "apim:api_view"]),
    )
    assert response.status_code == 403


async def test_history_lists_each_change_with_its_user(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.lifecycle(api["id"], "Publish")
    await publisher.lifecycle(api["id"], "Block")
    history = (
        await publisher.client.get(f"{BASE}/apis/{api['id']}/lifecycle-history", headers=publisher.auth())
    ).json()
    assert [(h["previousState"], h["postState"]) for h in history["list"]] == [
        (None, "Created"),
        ("Created", "Published"),
        ("Published", "Blocked"),
    ]
    assert {h["user"] for h in history["list"]} == {"admin"}


async def test_a_lifecycle_change_is_an_event_carrying_the_states(publisher: Publisher) -> None:
    api = await publisher.create_api()
    await publisher.lifecycle(api["id"], "Publish")
    await publisher.settle()
    (event,) = publisher.of_type("api.lifecycle-changed")
    assert (event.data["apiId"], event.data["previousState"], event.data["state"]) == (
        api["id"],
        "CREATED",
        "PUBLISHED",
    )
    assert event.data["lifeCycleStatus"] == "PUBLISHED"
    assert event.data["context"] == "/pizza"


async def test_deprecate_old_versions_checklist_deprecates_published_older_versions(
    publisher: Publisher,
) -> None:
    old = await publisher.create_api()
    await publisher.lifecycle(old["id"], "Publish")
    new = (
        await publisher.client.post(
            f"{BASE}/apis/copy-api",
            params={"apiId": old["id"], "newVersion": "2.0.0"},
            headers=publisher.auth(),
        )
    ).json()
    response = await publisher.client.post(
        f"{BASE}/apis/change-lifecycle",
        params={
            "apiId": new["id"],
            "action": "Publish",
            "lifecycleChecklist": "Deprecate old versions after publishing the API:true",
        },
        headers=publisher.auth(),
    )
    assert response.status_code == 200
    before = (await publisher.client.get(f"{BASE}/apis/{old['id']}", headers=publisher.auth())).json()
    assert before["lifeCycleStatus"] == "DEPRECATED"


@pytest.mark.parametrize("decision", ["APPROVED", "REJECTED"])
async def test_with_api_state_approval_a_change_waits_for_the_decision(
    publisher: Publisher, decision: str
) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_API_STATE"))
    api = await publisher.create_api()
    response = await publisher.lifecycle(api["id"], "Publish")
    assert response.status_code == 202
    assert response.json()["workflowStatus"] == "CREATED"
    held = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert (held["lifeCycleStatus"], held["workflowStatus"]) == ("CREATED", "CREATED")
    assert (await publisher.lifecycle(api["id"], "Publish")).status_code == 409
    await publisher.settle()
    (requested,) = publisher.of_type("workflow.requested")
    assert requested.data["workflowType"] == "AM_API_STATE"
    assert requested.data["properties"]["targetState"] == "PUBLISHED"
    assert publisher.of_type("api.lifecycle-changed") == []
    await publisher.tell(
        "workflows",
        "workflow.decided",
        {
            "workflowReferenceId": requested.data["workflowReferenceId"],
            "workflowType": "AM_API_STATE",
            "status": decision,
        },
    )
    after = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert after["lifeCycleStatus"] == ("PUBLISHED" if decision == "APPROVED" else "CREATED")
    assert after["workflowStatus"] is None
    await publisher.settle()
    assert len(publisher.of_type("api.lifecycle-changed")) == (1 if decision == "APPROVED" else 0)


async def test_a_decision_from_another_tenant_is_ignored(publisher: Publisher) -> None:
    await publisher.tell("tenants", "tenant-config.updated", workflow_config("AM_API_STATE"))
    api = await publisher.create_api()
    await publisher.lifecycle(api["id"], "Publish")
    await publisher.settle()
    (requested,) = publisher.of_type("workflow.requested")
    reference = requested.data["workflowReferenceId"]
    decided = {"workflowReferenceId": reference, "workflowType": "AM_API_STATE", "status": "APPROVED"}
    await publisher.tell("workflows", "workflow.decided", decided, tenant="acme.com")
    still = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert still["lifeCycleStatus"] == "CREATED"
