"""Rate limits at every level, with WSO2's codes and the X-RateLimit-* / Retry-After headers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from apim_common.events.topics import Topic
from apim_gateway.ratelimit import LocalLimiter
from tests.gateway.conftest import Harness, count_limit, pets_api


async def _policy(harness: Harness, policy_type: str, policy: dict[str, Any]) -> None:
    await harness.publish(
        Topic.THROTTLE_POLICIES, "throttle-policy.created", {"policyType": policy_type, "policy": policy}
    )


async def _calls(harness: Harness, n: int, path: str = "/pets/1.0.0/echo/1", **headers: str) -> list[Any]:
    token = harness.bearer()
    return [await harness.client.get(path, headers={**token, **headers}) for _ in range(n)]


async def test_the_subscription_tier_admits_its_count_then_answers_429_900804(harness: Harness) -> None:
    await _policy(
        harness,
        "subscription",
        {"policyName": "Gold", "defaultLimit": count_limit(2), "stopOnQuotaReach": True},
    )
    first, second, third = await _calls(harness, 3)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert third.json()["code"] == "900804"
    assert third.headers["x-ratelimit-limit"] == "2"
    assert third.headers["x-ratelimit-remaining"] == "0"
    assert int(third.headers["retry-after"]) >= 1
    assert "x-ratelimit-reset" in third.headers


async def test_a_subscription_tier_that_does_not_stop_on_quota_keeps_admitting(harness: Harness) -> None:
    await _policy(
        harness,
        "subscription",
        {"policyName": "Gold", "defaultLimit": count_limit(1), "stopOnQuotaReach": False},
    )
    assert [r.status_code for r in await _calls(harness, 3)] == [200, 200, 200]


async def test_the_subscription_burst_limit_is_900807(harness: Harness) -> None:
    await _policy(
        harness,
        "subscription",
        {
            "policyName": "Gold",
            "defaultLimit": count_limit(100),
            "rateLimitCount": 1,
            "rateLimitTimeUnit": "min",
        },
    )
    responses = await _calls(harness, 2)
    assert responses[1].status_code == 429
    assert responses[1].json()["code"] == "900807"


async def test_the_application_tier_is_900803_and_its_burst_900809(harness: Harness) -> None:
    await _policy(harness, "application", {"policyName": "Unlimited", "defaultLimit": count_limit(1)})
    assert (await _calls(harness, 2))[1].json()["code"] == "900803"
    await _policy(
        harness,
        "application",
        {
            "policyName": "Unlimited",
            "defaultLimit": count_limit(100),
            "burstLimit": {"rateLimitCount": 1, "rateLimitTimeUnit": "sec"},
        },
    )
    harness.gateway.rate_limits.limiter = LocalLimiter()
    assert (await _calls(harness, 2))[1].json()["code"] == "900809"


async def test_the_apis_advanced_policy_is_900800(harness: Harness) -> None:
    await _policy(harness, "advanced", {"policyName": "OnePerMin", "defaultLimit": count_limit(1)})
    harness.gateway.state.deploy(pets_api(harness.backend_port, apiThrottlingPolicy="OnePerMin"))
    r = (await _calls(harness, 2))[1]
    assert r.status_code == 429
    assert r.json()["code"] == "900800"


async def test_a_conditional_group_counts_matching_requests_apart(harness: Harness) -> None:
    await _policy(
        harness,
        "advanced",
        {
            "policyName": "ByHeader",
            "defaultLimit": count_limit(100),
            "conditionalGroups": [
                {
                    "conditions": [
                        {
                            "type": "HEADERCONDITION",
                            "headerCondition": {"headerName": "X-Tier", "headerValue": "free"},
                        }
                    ],
                    "limit": count_limit(1),
                }
            ],
        },
    )
    harness.gateway.state.deploy(pets_api(harness.backend_port, apiThrottlingPolicy="ByHeader"))
    free = await _calls(harness, 2, **{"X-Tier": "free"})
    assert free[1].json()["code"] == "900800"
    assert all(r.status_code == 200 for r in await _calls(harness, 3, **{"X-Tier": "paid"}))


async def test_the_resource_tier_is_900802(harness: Harness) -> None:
    await _policy(harness, "advanced", {"policyName": "OnePerMin", "defaultLimit": count_limit(1)})
    api = pets_api(harness.backend_port)
    api["operations"][0]["throttlingPolicy"] = "OnePerMin"
    harness.gateway.state.deploy(api)
    r = (await _calls(harness, 2))[1]
    assert r.json()["code"] == "900802"
    assert (await _calls(harness, 1, "/pets/1.0.0/json"))[0].status_code == 200


async def test_a_custom_rule_is_900806(harness: Harness) -> None:
    await _policy(
        harness,
        "custom",
        {
            "policyName": "PerUser",
            "keyTemplate": "$userId:$apiContext",
            "siddhiQuery": (
                "FROM RequestStream#throttler:timeBatch(1 min) select count(messageID) >= 2 as isThrottled"
            ),
        },
    )
    responses = await _calls(harness, 3)
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].json()["code"] == "900806"


async def test_the_backends_max_tps_is_503_900801(harness: Harness) -> None:
    harness.gateway.state.deploy(
        pets_api(harness.backend_port, maxTps={"production": 1, "productionTimeUnit": "MINUTE"})
    )
    r = (await _calls(harness, 2))[1]
    assert r.status_code == 503
    assert r.json()["code"] == "900801"


@pytest.mark.parametrize("limit", [1, 5])
def test_the_local_limiter_admits_exactly_the_limit_per_window(limit: int) -> None:
    now = [1000.0]
    limiter = LocalLimiter(clock=lambda: now[0])
    admitted = [limiter.try_acquire("k", limit, 60).admitted for _ in range(limit + 3)]
    assert admitted.count(True) == limit
    now[0] = 1020.0  # the minute's window [960, 1020) has ended
    assert limiter.try_acquire("k", limit, 60).admitted


class _OneCounter:
    """throttle-sync's leasing, reduced to what one gateway needs: a shared count per key."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        grants = []
        for item in batch["items"]:
            used = self.used.get(item["key"], 0)
            granted = max(min(item["want"], item["limit"] - used), 0)
            self.used[item["key"]] = used + granted
            grants.append(
                {
                    "window": 1,
                    "windowEndsInMs": 60_000,
                    "granted": granted,
                    "remaining": item["limit"] - used - granted,
                }
            )
        return {"activeGateways": 1, "grants": grants}

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return {"gatewayId": gateway_id, "activeGateways": 1, "ttlSeconds": 10}


async def test_the_shared_throttle_client_serves_as_the_limiter(harness: Harness) -> None:
    from apim_gateway.throttling import ThrottleClient

    client = ThrottleClient(_OneCounter())
    await client.start()
    harness.gateway.rate_limits.limiter = client
    try:
        await _policy(harness, "subscription", {"policyName": "Gold", "defaultLimit": count_limit(3)})
        codes = [r.status_code for r in await _calls(harness, 5)]
        assert codes == [200, 200, 200, 429, 429]
    finally:
        await client.close()


class _LeasesNeverCome:
    async def lease(self, batch: dict[str, Any]) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def heartbeat(self, gateway_id: str) -> dict[str, Any]:
        return {"gatewayId": gateway_id, "activeGateways": 1, "ttlSeconds": 10}


async def test_an_unlimited_tier_counts_nothing_so_a_late_lease_refuses_none_of_its_calls(
    harness: Harness,
) -> None:
    from apim_common.streaming_tiers import UNLIMITED_COUNT
    from apim_gateway.throttling import ClientConfig, ThrottleClient

    # Throttle-sync never answers a lease (and the gateway does not give up on it meanwhile).
    client = ThrottleClient(_LeasesNeverCome(), config=ClientConfig(request_timeout=60))
    await client.start()
    harness.gateway.rate_limits.limiter = client
    try:
        await _policy(
            harness, "subscription", {"policyName": "Gold", "defaultLimit": count_limit(UNLIMITED_COUNT)}
        )
        assert [r.status_code for r in await _calls(harness, 3)] == [200, 200, 200]
        # A counted tier's call waits for its lease and, without one, is refused.
        await _policy(harness, "subscription", {"policyName": "Gold", "defaultLimit": count_limit(1000)})
        assert [r.status_code for r in await _calls(harness, 1)] == [429]
    finally:
        await client.close()
