"""Alert subscriptions, admin settings, tenant theme and the gateway snapshot."""

import io
import zipfile

from tests.admin_api.harness import Admin


async def test_an_administrator_subscribes_to_alerts(admin: Admin) -> None:
    types = (await admin.get("/alert-types")).json()["alerts"]
    body = {"alerts": [types[0]], "emailList": ["ops@example.com"]}
    assert (await admin.put("/alert-subscriptions", json=body)).status_code == 200
    assert (await admin.get("/alert-subscriptions")).json() == body
    assert (await admin.delete("/alert-subscriptions")).status_code == 200
    assert (await admin.get("/alert-subscriptions")).json()["alerts"] == []


async def test_bot_detection_alert_emails_are_added_and_removed(admin: Admin) -> None:
    added = await admin.post("/alert-subscriptions/bot-detection", json={"email": "sec@example.com"})
    assert added.status_code == 200
    assert (
        await admin.post("/alert-subscriptions/bot-detection", json={"email": "sec@example.com"})
    ).status_code == 409
    listed = (await admin.get("/alert-subscriptions/bot-detection")).json()
    assert [s["email"] for s in listed["list"]] == ["sec@example.com"]
    assert (
        await admin.delete(f"/alert-subscriptions/bot-detection/{added.json()['uuid']}")
    ).status_code == 200
    assert (await admin.get("/alert-subscriptions/bot-detection")).json()["count"] == 0


async def test_settings_list_the_tenant_scopes(admin: Admin) -> None:
    settings = (await admin.get("/settings")).json()
    assert "apim:tier_manage" in settings["scopes"]
    assert any(c["type"] == "default" for c in settings["keyManagerConfiguration"])


async def test_a_tenant_theme_zip_round_trips_and_other_files_are_refused(admin: Admin) -> None:
    assert (await admin.get("/tenant-theme")).status_code == 404
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("theme/defaultTheme.js", "export default {}")
    upload = {"file": ("theme.zip", buffer.getvalue(), "application/zip")}
    assert (await admin.put("/tenant-theme", files=upload)).status_code == 200
    downloaded = await admin.get("/tenant-theme")
    assert downloaded.content == buffer.getvalue()
    bad = {"file": ("theme.zip", b"not a zip", "application/zip")}
    assert (await admin.put("/tenant-theme", files=bad)).status_code == 400


async def test_the_gateway_snapshot_holds_every_tenant_for_service_tokens(admin: Admin) -> None:
    await admin.post("/throttling/deny-policies", json={"conditionType": "USER", "conditionValue": "eve"})
    service = admin.auth("apim:internal", user="apim-internal-services")
    snapshot = (await admin.client.get("/api/am/admin/v4/internal/gateway-snapshot", headers=service)).json()
    assert "Gold" in [p["policyName"] for p in snapshot["throttlePolicies"]["subscription"]]
    assert snapshot["denyPolicies"][0]["conditionValue"] == "eve"
    assert [k["name"] for k in snapshot["keyManagers"]] == ["Resident Key Manager"]
    assert [e["name"] for e in snapshot["environments"]] == ["Default"]
