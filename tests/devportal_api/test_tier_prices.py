"""A subscription tier's price, set in the admin service, shows in the Developer Portal as WSO2's
``monetizationAttributes``, on the tier and on the API's tiers; a free tier has none."""

from __future__ import annotations

from pathlib import Path

from apim_common.events.topics import Topic
from tests.admin_api.harness import running_admin
from tests.devportal_api.conftest import BASE, Portal
from tests.support.monetization import priced_tiers


async def test_tier_prices_set_by_the_admin_show_in_the_developer_portal(
    portal: Portal, tmp_path: Path
) -> None:
    async with running_admin(portal.tokens, f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}") as admin:
        await priced_tiers(admin)
        announced = await admin.events_of(str(Topic.THROTTLE_POLICIES))
    for event in announced:
        await portal.publish(str(Topic.THROTTLE_POLICIES), event.type, event.subject, event.data)
    listed = await portal.client.get(f"{BASE}/throttling-policies/subscription", headers=portal.headers())
    assert listed.status_code == 200, listed.text
    tiers = {tier["name"]: tier for tier in listed.json()["list"]}
    assert tiers["Metered"]["monetizationAttributes"] == {
        "billingType": "dynamicRate",
        "pricePerRequest": "0.05",
        "currencyType": "EUR",
        "billingCycle": "month",
    }
    assert tiers["Flat"]["tierPlan"] == "COMMERCIAL"
    one = await portal.client.get(f"{BASE}/throttling-policies/subscription/Flat")
    assert one.json()["monetizationAttributes"] == {
        "billingType": "fixedPrice",
        "fixedPrice": "10",
        "currencyType": "USD",
        "billingCycle": "month",
    }
    assert tiers["Unlimited"]["monetizationAttributes"] is None
    api = await portal.publish_api(name="Pizza", policies=["Metered", "Unlimited"])
    shown = await portal.client.get(f"{BASE}/apis/{api['id']}", headers=portal.headers())
    assert shown.status_code == 200, shown.text
    api_tiers = {tier["tierName"]: tier for tier in shown.json()["tiers"]}
    assert api_tiers["Metered"]["tierPlan"] == "COMMERCIAL"
    assert api_tiers["Metered"]["monetizationAttributes"]["pricePerRequest"] == "0.05"
    assert api_tiers["Unlimited"] == {
        "tierName": "Unlimited",
        "tierPlan": "FREE",
        "monetizationAttributes": None,
    }
