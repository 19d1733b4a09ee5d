"""A bandwidth subscription tier as the developer portal shows it: its data amount and unit."""

from __future__ import annotations

from typing import Any

from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, subscribe


async def _bandwidth_tier(portal: Portal) -> None:
    policy: dict[str, Any] = {
        "policyId": "gold",
        "policyName": "Gold",
        "defaultLimit": {
            "type": "BANDWIDTHLIMIT",
            "bandwidth": {"timeUnit": "min", "unitTime": 1, "dataAmount": 5, "dataUnit": "MB"},
        },
    }
    await portal.publish(
        "throttle-policies",
        "throttle-policy.created",
        "gold",
        {"policyType": "subscription", "policy": policy},
    )


async def test_a_bandwidth_tier_is_listed_with_its_data_amount_and_unit(portal: Portal) -> None:
    await _bandwidth_tier(portal)
    listed = await portal.client.get(f"{BASE}/throttling-policies/subscription", headers=portal.headers())
    [gold] = [t for t in listed.json()["list"] if t["name"] == "Gold"]
    assert (gold["quotaPolicyType"], gold["requestCount"], gold["dataUnit"]) == ("BANDWIDTHVOLUME", 5, "MB")


async def test_an_api_key_names_a_bandwidth_tier_by_its_data_amount(portal: Portal) -> None:
    await _bandwidth_tier(portal)
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    h = portal.headers()
    app = await create_app(portal, h)
    assert (await subscribe(portal, h, app["applicationId"], api["id"])).status_code == 201
    r = await portal.client.post(
        f"{BASE}/applications/{app['applicationId']}/api-keys/PRODUCTION/generate", json={}, headers=h
    )
    assert r.status_code == 200, r.text
    gold = portal.key_manager.signed[0]["tierInfo"]["Gold"]
    assert (gold["tierQuotaType"], gold["dataAmount"], gold["dataUnit"]) == ("bandwidthVolume", 5, "MB")
    assert "requestCount" not in gold
