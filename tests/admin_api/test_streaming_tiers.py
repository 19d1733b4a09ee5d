"""WSO2's default subscription tiers of streaming APIs are present in every tenant."""

from typing import Any

from tests.admin_api.harness import Admin

ACME = {
    "domain": "acme.com",
    "adminUsername": "root",
    "adminPassword": "s3cret-pass",
    "email": "root@acme.com",
}
# name -> (events, per, active subscriptions)
STREAMING = {
    "AsyncBronze": (5000, "day", None),
    "AsyncSilver": (25000, "day", None),
    "AsyncGold": (50000, "day", None),
    "AsyncUnlimited": (2147483647, "min", None),
    "AsyncWHBronze": (1000, "month", 500),
    "AsyncWHSilver": (5000, "month", 500),
    "AsyncWHGold": (10000, "month", 1000),
}


def _streaming(tiers: list[dict[str, Any]]) -> dict[str, tuple[int, str, int | None]]:
    found = {}
    for tier in tiers:
        limit = tier["defaultLimit"]
        if limit["type"] == "EVENTCOUNTLIMIT":
            events = limit["eventCount"]
            assert events["unitTime"] == 1
            found[tier["policyName"]] = (
                events["eventCount"],
                events["timeUnit"],
                tier.get("subscriberCount"),
            )
    return found


async def test_every_tenant_has_the_default_streaming_tiers(admin: Admin) -> None:
    here = (await admin.get("/throttling/policies/subscription")).json()["list"]
    assert _streaming(here) == STREAMING
    created = await admin.post("/tenants", json=ACME)
    assert created.status_code == 201, created.text
    acme = admin.auth(tenant="acme.com", user="root@acme.com")
    there = (await admin.get("/throttling/policies/subscription", headers=acme)).json()["list"]
    assert _streaming(there) == STREAMING
    # Each tenant has its own rows, which its administrator may change.
    assert {t["policyId"] for t in here}.isdisjoint({t["policyId"] for t in there})
