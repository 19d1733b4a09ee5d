"""Tier fields the gateway has nothing to apply to are refused with 400 naming them."""

from typing import Any

import httpx

from tests.admin_api.harness import Admin
from tests.admin_api.test_throttling import per_minute


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    return "; ".join(f"{e['message']}: {e['description']}" for e in response.json()["error"])


async def _create(admin: Admin, kind: str, **policy: Any) -> httpx.Response:
    return await admin.post(f"/throttling/policies/{kind}", json={"policyName": "Limited", **policy})


async def test_graphql_limits_are_kept_for_the_gateway_and_a_negative_one_refused(admin: Admin) -> None:
    # The gateway applies them: tests/gateway/test_gateway_graphql.py.
    for name in ("graphQLMaxComplexity", "graphQLMaxDepth"):
        r = await _create(admin, "subscription", defaultLimit=per_minute(5), **{name: -1})
        assert name in _refusal(r)
    limits = {"graphQLMaxComplexity": 400, "graphQLMaxDepth": 10}
    created = await _create(admin, "subscription", defaultLimit=per_minute(5), **limits)
    assert created.status_code == 201, created.text
    kept = await admin.get(f"/throttling/policies/subscription/{created.json()['policyId']}")
    assert {name: kept.json()[name] for name in limits} == limits


async def test_an_event_limit_in_a_conditional_group_is_refused(admin: Admin) -> None:
    events = {"type": "EVENTCOUNTLIMIT", "eventCount": {"timeUnit": "min", "unitTime": 1, "eventCount": 100}}
    header = {"type": "HEADERCONDITION", "headerCondition": {"headerName": "X-Plan", "headerValue": "free"}}
    group = {"conditions": [header], "limit": events}
    r = await _create(admin, "advanced", defaultLimit=per_minute(5), conditionalGroups=[group])
    assert "eventCount" in _refusal(r)
    counted = await _create(admin, "advanced", defaultLimit=events)
    assert counted.status_code == 201, counted.text
