"""Workflows: registered by event or internal call, decided by an administrator, answered by event."""

from tests.admin_api.harness import Admin

REQUEST = {
    "workflowReferenceId": "wf-1",
    "workflowType": "AM_APPLICATION_CREATION",
    "createdBy": "bob",
    "description": "Approve application Shop",
    "properties": {"applicationName": "Shop"},
}


async def test_a_requested_workflow_is_pending_until_approved(admin: Admin) -> None:
    event = await admin.publish("workflows", "workflow.requested", "wf-1", REQUEST)
    await admin.bus.publish("workflows", event)  # redelivered: still one workflow
    await admin.bus.drain()
    pending = (await admin.get("/workflows", params={"workflowType": "AM_APPLICATION_CREATION"})).json()
    assert [w["referenceId"] for w in pending["list"]] == ["wf-1"]
    assert (await admin.get("/workflows", params={"workflowType": "AM_API_STATE"})).json()["count"] == 0
    decided = await admin.post(
        "/workflows/update-workflow-status",
        params={"workflowReferenceId": "wf-1"},
        json={"status": "APPROVED", "description": "ok"},
    )
    assert decided.status_code == 200, decided.text
    assert (await admin.get("/workflows")).json()["count"] == 0
    assert (await admin.get("/workflows/wf-1")).json()["workflowStatus"] == "APPROVED"
    decisions = [e for e in await admin.events_of("workflows") if e.type == "workflow.decided"]
    assert len(decisions) == 1
    assert decisions[0].data["status"] == "APPROVED"
    assert decisions[0].data["workflowType"] == "AM_APPLICATION_CREATION"
    assert decisions[0].subject == "wf-1"


async def test_a_decided_workflow_cannot_be_decided_again(admin: Admin) -> None:
    await admin.publish("workflows", "workflow.requested", "wf-1", REQUEST)
    params = {"workflowReferenceId": "wf-1"}
    assert (
        await admin.post("/workflows/update-workflow-status", params=params, json={"status": "REJECTED"})
    ).status_code == 200
    again = await admin.post("/workflows/update-workflow-status", params=params, json={"status": "APPROVED"})
    assert again.status_code == 409


async def test_an_internal_call_registers_a_workflow_for_its_tenant(admin: Admin) -> None:
    service = admin.auth("apim:internal", user="apim-internal-services")
    body = {
        **REQUEST,
        "workflowReferenceId": "wf-rev",
        "workflowType": "REVISION_DEPLOYMENT",
        "tenant": "acme.com",
    }
    response = await admin.client.post("/api/am/admin/v4/internal/workflows", json=body, headers=service)
    assert response.status_code == 201, response.text
    acme = admin.auth(tenant="acme.com")
    listed = (await admin.get("/workflows", headers=acme)).json()["list"]
    assert [(w["referenceId"], w["workflowType"]) for w in listed] == [("wf-rev", "AM_REVISION_DEPLOYMENT")]
    assert (await admin.get("/workflows/wf-rev")).status_code == 404
    other = await admin.post(
        "/workflows/update-workflow-status",
        params={"workflowReferenceId": "wf-rev"},
        json={"status": "APPROVED"},
    )
    assert other.status_code == 404
