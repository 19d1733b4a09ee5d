"""A subscription tier limited to some roles (or denied to some) is refused to other callers."""

from __future__ import annotations

from typing import Any

from tests.devportal_api.conftest import Portal
from tests.devportal_api.helpers import create_app, subscribe


async def _tier(portal: Portal, permission: str, roles: list[str]) -> None:
    policy: dict[str, Any] = {
        "policyId": "gold",
        "policyName": "Gold",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 5},
        },
        "permissions": {"permissionType": permission, "roles": roles},
    }
    await portal.publish(
        "throttle-policies",
        "throttle-policy.created",
        "gold",
        {"policyType": "subscription", "policy": policy},
    )


async def test_a_tier_allowed_to_some_roles_is_refused_to_callers_without_them(portal: Portal) -> None:
    await _tier(portal, "ALLOW", ["gold-customers"])
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    plain = portal.headers()
    app = await create_app(portal, plain)
    refused = await subscribe(portal, plain, app["applicationId"], api["id"], tier="Gold")
    assert refused.status_code == 400
    assert "not permitted" in refused.json()["description"]
    member = portal.headers("bob", roles=["Internal/subscriber", "gold-customers"])
    bobs = await create_app(portal, member)
    assert (await subscribe(portal, member, bobs["applicationId"], api["id"], tier="Gold")).status_code == 201


async def test_a_tier_denied_to_a_role_is_refused_to_its_holders(portal: Portal) -> None:
    await _tier(portal, "DENY", ["trial"])
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    trial = portal.headers(roles=["Internal/subscriber", "trial"])
    app = await create_app(portal, trial)
    assert (await subscribe(portal, trial, app["applicationId"], api["id"], tier="Gold")).status_code == 400
    other = portal.headers("bob")
    bobs = await create_app(portal, other)
    assert (await subscribe(portal, other, bobs["applicationId"], api["id"], tier="Gold")).status_code == 201
