"""Deny policies: each condition type, status changes, duplicates and events."""

from tests.admin_api.harness import Admin


async def test_each_condition_type_can_be_added(admin: Admin) -> None:
    conditions = [
        ("API", "/pizzashack/1.0.0"),
        ("APPLICATION", "bob:Shop"),
        ("IP", {"fixedIp": "192.168.1.7", "invert": False}),
        ("IPRANGE", {"startingIp": "10.0.0.1", "endingIp": "10.0.0.9", "invert": True}),
        ("USER", "mallory"),
    ]
    for condition_type, value in conditions:
        body = {"conditionType": condition_type, "conditionValue": value, "conditionStatus": True}
        response = await admin.post("/throttling/deny-policies", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["conditionValue"] == value
    listed = (await admin.get("/throttling/deny-policies")).json()
    assert sorted(c["conditionType"] for c in listed["list"]) == sorted(t for t, _ in conditions)


async def test_malformed_condition_values_are_refused(admin: Admin) -> None:
    for condition_type, value in [
        ("IP", {"fixedIp": "999.1.1.1"}),
        ("IPRANGE", {"startingIp": "10.0.0.9", "endingIp": "10.0.0.1"}),
        ("APPLICATION", "no-owner"),
        ("API", "pizzashack"),
        ("USER", ""),
        ("TENANT", "acme"),
    ]:
        body = {"conditionType": condition_type, "conditionValue": value}
        assert (await admin.post("/throttling/deny-policies", json=body)).status_code == 400, condition_type


async def test_the_same_condition_twice_is_a_conflict(admin: Admin) -> None:
    body = {"conditionType": "USER", "conditionValue": "mallory"}
    assert (await admin.post("/throttling/deny-policies", json=body)).status_code == 201
    assert (await admin.post("/throttling/deny-policies", json=body)).status_code == 409


async def test_patch_switches_a_condition_off_and_announces_it(admin: Admin) -> None:
    created = (
        await admin.post("/throttling/deny-policies", json={"conditionType": "USER", "conditionValue": "eve"})
    ).json()
    path = f"/throttling/deny-policy/{created['conditionId']}"
    patched = await admin.patch(path, json={"conditionStatus": False})
    assert patched.json()["conditionStatus"] is False
    assert (await admin.get(path)).json()["conditionStatus"] is False
    assert (await admin.delete(path)).status_code == 200
    assert (await admin.get(path)).status_code == 404
    events = await admin.events_of("deny-policies")
    assert [e.type for e in events] == ["deny-policy.created", "deny-policy.updated", "deny-policy.deleted"]
    assert events[1].data["conditionStatus"] is False


async def test_another_tenant_cannot_see_or_remove_a_deny_policy(admin: Admin) -> None:
    created = (
        await admin.post("/throttling/deny-policies", json={"conditionType": "USER", "conditionValue": "eve"})
    ).json()
    other = admin.auth(tenant="acme.com")
    path = f"/throttling/deny-policy/{created['conditionId']}"
    assert (await admin.get(path, headers=other)).status_code == 404
    assert (await admin.delete(path, headers=other)).status_code == 404
    assert (await admin.get("/throttling/deny-policies", headers=other)).json()["count"] == 0
