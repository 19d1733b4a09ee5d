"""A subscription tier's subscriberCount: how many subscriptions one API takes on that tier."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.devportal_api.conftest import BASE, Portal, running_portal
from tests.devportal_api.helpers import create_app, enable_workflows, subscribe
from tests.devportal_api.test_postgres import postgres_url  # noqa: F401 (fixture)
from tests.support.tokens import TokenFactory


async def _tier(portal: Portal, subscribers: int) -> None:
    policy: dict[str, Any] = {
        "policyId": "gold",
        "policyName": "Gold",
        "defaultLimit": {
            "type": "REQUESTCOUNTLIMIT",
            "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 5},
        },
        "subscriberCount": subscribers,
    }
    await portal.publish(
        "throttle-policies",
        "throttle-policy.created",
        "gold",
        {"policyType": "subscription", "policy": policy},
    )


async def _apps(portal: Portal, n: int) -> list[tuple[dict[str, str], str]]:
    """``n`` applications, each of its own subscriber."""
    apps = []
    for i in range(n):
        headers = portal.headers(f"user{i}")
        apps.append((headers, (await create_app(portal, headers, name=f"App{i}"))["applicationId"]))
    return apps


async def test_subscribing_beyond_the_tier_subscriber_count_is_refused(portal: Portal) -> None:
    await _tier(portal, 2)
    api = await portal.publish_api(name="Pizza", policies=["Gold", "Unlimited"])
    (h0, a0), (h1, a1), (h2, a2) = await _apps(portal, 3)
    assert (await subscribe(portal, h0, a0, api["id"])).status_code == 201
    assert (await subscribe(portal, h1, a1, api["id"])).status_code == 201
    refused = await subscribe(portal, h2, a2, api["id"])
    assert refused.status_code == 403
    assert refused.json()["message"] == "Subscriber Count Reached"
    assert "Gold allows 2 subscriptions" in refused.json()["description"]
    # Through /subscriptions/multiple as well; another tier of the API has its own places.
    many = await portal.client.post(
        f"{BASE}/subscriptions/multiple",
        json=[{"applicationId": a2, "apiId": api["id"], "throttlingPolicy": "Gold"}],
        headers=h2,
    )
    assert many.status_code == 403
    assert (await subscribe(portal, h2, a2, api["id"], tier="Unlimited")).status_code == 201
    # Nor may an existing subscription move onto the full tier.
    mine = await portal.client.get(f"{BASE}/subscriptions", params={"applicationId": a2}, headers=h2)
    [unlimited] = mine.json()["list"]
    change = await portal.client.put(
        f"{BASE}/subscriptions/{unlimited['subscriptionId']}",
        json={"applicationId": a2, "apiId": api["id"], "throttlingPolicy": "Gold"},
        headers=h2,
    )
    assert change.status_code == 403


async def test_unsubscribing_frees_a_place(portal: Portal) -> None:
    await _tier(portal, 1)
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    (h0, a0), (h1, a1) = await _apps(portal, 2)
    first = await subscribe(portal, h0, a0, api["id"])
    assert first.status_code == 201
    assert (await subscribe(portal, h1, a1, api["id"])).status_code == 403
    gone = await portal.client.delete(f"{BASE}/subscriptions/{first.json()['subscriptionId']}", headers=h0)
    assert gone.status_code == 200
    assert (await subscribe(portal, h1, a1, api["id"])).status_code == 201


async def test_a_subscription_awaiting_approval_holds_its_place_until_rejected(portal: Portal) -> None:
    await enable_workflows(portal, "AM_SUBSCRIPTION_CREATION")
    await _tier(portal, 1)
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    (h0, a0), (h1, a1) = await _apps(portal, 2)
    assert (await subscribe(portal, h0, a0, api["id"])).status_code == 202
    assert (await subscribe(portal, h1, a1, api["id"])).status_code == 403
    await portal.settle()
    reference = portal.events("workflow.requested")[-1].data["workflowReferenceId"]
    decided = {
        "workflowReferenceId": reference,
        "workflowType": "AM_SUBSCRIPTION_CREATION",
        "status": "REJECTED",
    }
    await portal.publish("workflows", "workflow.decided", reference, decided)
    assert (await subscribe(portal, h1, a1, api["id"])).status_code == 202


async def _race(portal: Portal) -> list[int]:
    """Eight applications subscribe to a tier of three places at once."""
    await _tier(portal, 3)
    api = await portal.publish_api(name="Pizza", policies=["Gold"])
    apps = await _apps(portal, 8)
    answers = await asyncio.gather(*(subscribe(portal, h, a, api["id"]) for h, a in apps))
    return sorted(r.status_code for r in answers)


async def test_concurrent_subscribes_never_exceed_the_subscriber_count(portal: Portal) -> None:
    assert await _race(portal) == [201] * 3 + [403] * 5


@pytest.mark.infra
async def test_concurrent_subscribes_never_exceed_the_subscriber_count_on_postgresql(
    tokens: TokenFactory,
    postgres_url: str,  # noqa: F811
) -> None:
    async with running_portal(tokens, postgres_url) as portal:
        assert await _race(portal) == [201] * 3 + [403] * 5
