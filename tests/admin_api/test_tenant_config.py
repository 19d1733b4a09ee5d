"""The tenant-config document: defaults, schema validation and the event other services act on."""

from tests.admin_api.harness import Admin

WORKFLOWS = (
    "AM_APPLICATION_CREATION",
    "AM_SUBSCRIPTION_CREATION",
    "AM_API_STATE",
    "AM_REVISION_DEPLOYMENT",
    "AM_APPLICATION_REGISTRATION",
)


async def test_every_approval_workflow_is_off_by_default(admin: Admin) -> None:
    config = (await admin.get("/tenant-config")).json()
    for name in WORKFLOWS:
        assert config["Workflows"][name] == {"enabled": False}


async def test_enabling_a_workflow_is_stored_and_announced_for_the_tenant(admin: Admin) -> None:
    acme = admin.auth(tenant="acme.com")
    config = (await admin.get("/tenant-config", headers=acme)).json()
    config["Workflows"]["AM_APPLICATION_CREATION"] = {"enabled": True}
    config["CustomSection"] = {"kept": True}
    assert (await admin.put("/tenant-config", json=config, headers=acme)).status_code == 200
    stored = (await admin.get("/tenant-config", headers=acme)).json()
    assert stored["Workflows"]["AM_APPLICATION_CREATION"] == {"enabled": True}
    assert stored["CustomSection"] == {"kept": True}
    assert (await admin.get("/tenant-config")).json()["Workflows"]["AM_APPLICATION_CREATION"][
        "enabled"
    ] is False
    events = await admin.events_of("tenants")
    assert [(e.type, e.tenant) for e in events] == [("tenant-config.updated", "acme.com")]
    assert events[0].data["config"]["Workflows"]["AM_APPLICATION_CREATION"]["enabled"] is True


async def test_a_document_that_breaks_the_schema_is_refused(admin: Admin) -> None:
    schema = (await admin.get("/tenant-config-schema")).json()
    assert "Workflows" in schema["properties"]
    bad = {"Workflows": {"AM_APPLICATION_CREATION": {"enabled": "sometimes"}}}
    response = await admin.put("/tenant-config", json=bad)
    assert response.status_code == 400
    assert response.json()["error"]
    unknown = await admin.put("/tenant-config", json={"Workflows": {"AM_NOT_A_WORKFLOW": {"enabled": True}}})
    assert unknown.status_code == 400
