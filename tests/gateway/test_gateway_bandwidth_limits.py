"""Bandwidth limits (BANDWIDTHLIMIT): the bytes of request and response bodies, counted as they
pass through the gateway to and from a real backend, refused with each level's WSO2 code once the
window's bytes have reached the limit; the call that crosses it is admitted whole."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apim_common.events.topics import Topic
from apim_gateway.runtime.tiers import Limit, limit_of
from apim_gateway.throttling import ClientConfig, ThrottleClient
from apim_throttle_sync.app import redis_client
from apim_throttle_sync.counters import LeaseRequest, RedisCounterBackend
from apim_throttle_sync.leases.service import LeaseService
from apim_throttle_sync.membership import RedisMembership
from tests.conftest import infra_value
from tests.gateway.conftest import FakeControlPlane, Harness, RunningGateway, base_snapshot, pets_api
from tests.support.tokens import TokenFactory
from tests.throttle_sync.load import InProcessTransport, flush_prefix


def bandwidth_limit(amount: int, unit: str = "KB", time_unit: str = "min") -> dict[str, Any]:
    return {
        "type": "BANDWIDTHLIMIT",
        "bandwidth": {"timeUnit": time_unit, "unitTime": 1, "dataAmount": amount, "dataUnit": unit},
    }


async def _policy(harness: Harness, policy_type: str, policy: dict[str, Any]) -> None:
    await harness.publish(
        Topic.THROTTLE_POLICIES, "throttle-policy.created", {"policyType": policy_type, "policy": policy}
    )


async def _statuses(harness: Harness, n: int, path: str) -> list[httpx.Response]:
    token = harness.bearer()
    return [await harness.client.get(path, headers=token) for _ in range(n)]


async def test_bandwidth_application_tier_refuses_once_bytes_are_spent(harness: Harness) -> None:
    # 3 KB a minute; /json answers 1 KiB: the third call reaches the limit, the fourth is refused.
    await _policy(harness, "application", {"policyName": "Unlimited", "defaultLimit": bandwidth_limit(3)})
    responses = await _statuses(harness, 4, "/pets/1.0.0/json")
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert len(responses[2].content) == 1024
    refused = responses[3]
    assert refused.json()["code"] == "900803"
    assert refused.headers["x-ratelimit-limit"] == str(3 * 1024)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["retry-after"]) >= 1


async def test_bandwidth_subscription_tier_counts_response_bytes(harness: Harness) -> None:
    # A streamed (chunked) response of 1500 bytes, 2 KB allowed: the second call crosses the limit
    # and is answered whole; the third is refused.
    await _policy(
        harness,
        "subscription",
        {"policyName": "Gold", "defaultLimit": bandwidth_limit(2), "stopOnQuotaReach": True},
    )
    responses = await _statuses(harness, 3, "/pets/1.0.0/big?size=1500")
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert len(responses[1].content) == 1500
    assert responses[2].json()["code"] == "900804"


async def test_bandwidth_subscription_tier_that_does_not_stop_on_quota_keeps_admitting(
    harness: Harness,
) -> None:
    await _policy(
        harness,
        "subscription",
        {"policyName": "Gold", "defaultLimit": bandwidth_limit(1), "stopOnQuotaReach": False},
    )
    responses = await _statuses(harness, 3, "/pets/1.0.0/json")
    assert [r.status_code for r in responses] == [200, 200, 200]


async def test_bandwidth_api_tier_counts_request_bytes(harness: Harness) -> None:
    # 4 KB a minute on the API; each call uploads 3000 bytes and gets a short JSON answer back.
    await _policy(harness, "advanced", {"policyName": "FourKB", "defaultLimit": bandwidth_limit(4)})
    harness.gateway.state.deploy(pets_api(harness.backend_port, apiThrottlingPolicy="FourKB"))
    token = harness.bearer()
    codes = []
    for _ in range(3):
        response = await harness.client.post(
            f"/pets/1.0.0/echo?upload={uuid.uuid4().hex}", content=b"x" * 3000, headers=token
        )
        codes.append(response.status_code)
        if response.status_code == 200:
            assert response.json()["bytes"] == 3000
        else:
            assert response.json()["code"] == "900800"
    assert codes == [200, 200, 429]


async def test_bandwidth_conditional_group_counts_matching_calls_apart(harness: Harness) -> None:
    await _policy(
        harness,
        "advanced",
        {
            "policyName": "ByHeader",
            "defaultLimit": bandwidth_limit(1, "MB"),
            "conditionalGroups": [
                {
                    "conditions": [
                        {
                            "type": "HEADERCONDITION",
                            "headerCondition": {"headerName": "X-Tier", "headerValue": "free"},
                        }
                    ],
                    "limit": bandwidth_limit(1),
                }
            ],
        },
    )
    harness.gateway.state.deploy(pets_api(harness.backend_port, apiThrottlingPolicy="ByHeader"))
    token = harness.bearer()
    free = [
        await harness.client.get("/pets/1.0.0/json", headers={**token, "X-Tier": "free"}) for _ in range(2)
    ]
    assert [r.status_code for r in free] == [200, 429]
    assert free[1].json()["code"] == "900800"
    paid = [await harness.client.get("/pets/1.0.0/json", headers=token) for _ in range(3)]
    assert [r.status_code for r in paid] == [200, 200, 200]


async def test_bandwidth_resource_tier_is_900802(harness: Harness) -> None:
    await _policy(harness, "advanced", {"policyName": "OneKB", "defaultLimit": bandwidth_limit(1)})
    api = pets_api(harness.backend_port)
    json_operation = next(o for o in api["operations"] if o["target"] == "/json")
    json_operation["throttlingPolicy"] = "OneKB"
    harness.gateway.state.deploy(api)
    responses = await _statuses(harness, 2, "/pets/1.0.0/json")
    assert [r.status_code for r in responses] == [200, 429]
    assert responses[1].json()["code"] == "900802"


# -- two gateways, one throttle-sync on real Redis ------------------------------------------------


@pytest.fixture
async def lease_service() -> AsyncIterator[LeaseService]:
    redis = redis_client(infra_value("APIM_TEST_REDIS_URL"), 0.5)
    prefix = f"apim:test:{uuid.uuid4().hex[:8]}:"
    try:
        yield LeaseService(
            RedisCounterBackend(redis, prefix=prefix),
            RedisMembership(redis, ttl_seconds=3.0, prefix=prefix),
            gateway_ttl_seconds=3.0,
        )
    finally:
        await flush_prefix(redis, prefix)
        await redis.aclose()


@pytest.mark.infra
async def test_bandwidth_counted_exactly_across_two_gateways(
    tmp_path: Path, tokens: TokenFactory, backend_port: int, lease_service: LeaseService
) -> None:
    # 8 KB a minute for the application, 1500-byte answers, calls alternating between two gateways
    # sharing one throttle-sync on Redis: five calls leave 692 bytes, the sixth crosses the limit,
    # and every later call is refused on both gateways. Two separate counters would have admitted
    # twelve; the shared counter holds exactly the bytes that passed.
    snapshot = copy.deepcopy(base_snapshot(backend_port))
    [application_tier] = snapshot["admin"]["throttlePolicies"]["application"]
    application_tier["defaultLimit"] = bandwidth_limit(8)
    clients: list[httpx.AsyncClient] = []
    throttles: list[ThrottleClient] = []
    gateways = [RunningGateway(tmp_path / name, FakeControlPlane(tokens, snapshot), {}) for name in "ab"]
    entered: list[RunningGateway] = []
    try:
        for i, running in enumerate(gateways):
            (tmp_path / "ab"[i]).mkdir()
            gateway, _ = await running.__aenter__()
            entered.append(running)
            # A loaded test machine must not turn a slow lease into a refusal of the request count.
            config = ClientConfig(max_wait=1.0)
            throttle = ThrottleClient(
                InProcessTransport(lease_service), gateway_id=f"bw-gw-{i}", config=config
            )
            await throttle.start()
            throttles.append(throttle)
            gateway.rate_limits.limiter = throttle
            clients.append(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://localhost")
            )
        token = {"Authorization": f"Bearer {tokens.mint('alice', '', client_id='client-1')}"}
        codes: list[tuple[int, str]] = []
        for call in range(12):
            response = await clients[call % 2].get("/pets/1.0.0/big?size=1500", headers=token)
            code = "" if response.status_code == 200 else response.json()["code"]
            codes.append((response.status_code, code))
        assert codes == [(200, "")] * 6 + [(429, "900803")] * 6
        [counter] = await lease_service.counters.lease(
            [LeaseRequest("bytes:app:carbon.super:app-1:alice@carbon.super", 8192, 60, 0)],
            gateways=2,
            spread=2.0,
        )
        assert counter.used == 6 * 1500
    finally:
        for client in clients:
            await client.aclose()
        for throttle in throttles:
            await throttle.close()
        for running in entered:
            await running.__aexit__(None, None, None)


@pytest.mark.parametrize(
    ("amount", "unit", "time_unit", "unit_time", "limit_bytes", "window"),
    [
        (3, "KB", "min", 1, 3 * 1024, 60),
        (2, "MB", "hour", 2, 2 * 1024**2, 7200),
        (1, "GB", "day", 1, 1024**3, 86_400),
    ],
)
def test_a_bandwidth_limit_is_bytes_per_window(
    amount: int, unit: str, time_unit: str, unit_time: int, limit_bytes: int, window: int
) -> None:
    limit = limit_of(
        {
            "type": "BANDWIDTHLIMIT",
            "bandwidth": {
                "dataAmount": amount,
                "dataUnit": unit,
                "timeUnit": time_unit,
                "unitTime": unit_time,
            },
        }
    )
    assert limit == Limit(limit_bytes, window, bandwidth=True)
