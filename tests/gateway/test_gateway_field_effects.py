"""API and tier fields the gateway honours, each shown through the gateway at a real backend
(the rest are in the test files of their feature; tests/common/field_inventory.yaml lists them)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from apim_common.events.topics import Topic
from tests.gateway.conftest import RESIDENT, Harness, count_limit, pets_api
from tests.support.processes import free_port

ECHO = "/pets/1.0.0/echo/1"


async def _calls(harness: Harness, n: int, path: str = ECHO, **headers: str) -> list[httpx.Response]:
    return [await harness.client.get(path, headers=headers or harness.bearer()) for _ in range(n)]


async def _advanced(harness: Harness, condition: dict[str, Any]) -> None:
    """An API-level policy whose one conditional group allows a single call a minute."""
    policy = {
        "policyName": "Conditional",
        "defaultLimit": count_limit(100),
        "conditionalGroups": [{"conditions": [condition], "limit": count_limit(1)}],
    }
    await harness.publish(
        Topic.THROTTLE_POLICIES, "throttle-policy.created", {"policyType": "advanced", "policy": policy}
    )
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, apiThrottlingPolicy="Conditional"))


async def test_the_token_is_read_from_the_apis_own_authorization_header(harness: Harness) -> None:
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, authorizationHeader="X-Pets-Auth"))
    token = harness.bearer()["Authorization"]
    r = await harness.client.get(ECHO, headers={"X-Pets-Auth": token})
    assert r.status_code == 200, r.text
    assert "x-pets-auth" not in r.json()["headers"]
    standard = await harness.client.get(ECHO, headers={"Authorization": token})
    assert standard.status_code == 401
    assert standard.json()["code"] == "900902"


async def test_an_api_limited_to_one_key_manager_refuses_tokens_of_another(harness: Harness) -> None:
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, keyManagers=["Partner IdP"]))
    refused = await harness.client.get(ECHO, headers=harness.bearer())
    assert refused.status_code == 401
    assert refused.json()["code"] == "900901"
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, keyManagers=[RESIDENT]))
    assert (await harness.client.get(ECHO, headers=harness.bearer())).status_code == 200


async def test_the_sandbox_max_tps_limits_sandbox_keys_only(harness: Harness) -> None:
    assert harness.gateway.state.deploy(
        pets_api(harness.backend_port, maxTps={"sandbox": 1, "sandboxTimeUnit": "MINUTE"})
    )
    sandbox = await _calls(harness, 2, **harness.bearer(client_id="client-sbx"))
    assert [r.status_code for r in sandbox] == [200, 503]
    assert sandbox[1].json()["code"] == "900801"
    assert [r.status_code for r in await _calls(harness, 3)] == [200, 200, 200]


async def test_a_sandbox_failover_serves_sandbox_keys_when_the_sandbox_endpoint_is_down(
    harness: Harness,
) -> None:
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = {
        "endpoint_type": "failover",
        "production_endpoints": {"url": f"http://127.0.0.1:{harness.backend_port}"},
        "sandbox_endpoints": {"url": f"http://127.0.0.1:{free_port()}"},
        "sandbox_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}/echo/sandbox-failover"}],
    }
    assert harness.gateway.state.deploy(api)
    r = await harness.client.get(ECHO, headers=harness.bearer(client_id="client-sbx"))
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/echo/sandbox-failover/echo/1"


async def test_a_failed_endpoint_is_left_out_for_its_suspend_duration(harness: Harness) -> None:
    api = pets_api(harness.backend_port)
    api["endpointConfig"] = {
        "endpoint_type": "failover",
        "production_endpoints": {
            "url": f"http://127.0.0.1:{free_port()}",
            "config": {"suspendDuration": "200"},
        },
        "production_failovers": [{"url": f"http://127.0.0.1:{harness.backend_port}/echo/failover"}],
    }
    assert harness.gateway.state.deploy(api)
    assert [r.status_code for r in await _calls(harness, 3)] == [200, 200, 200]
    group = harness.gateway.state.apis["api-pets"].backends["PRODUCTION"]
    primary = group.endpoints[0]
    assert group.try_order()[0] is not primary
    await asyncio.sleep(0.3)
    # Suspended for 200 ms rather than the gateway's default: the primary gets its trial again.
    assert group.try_order()[0] is primary


async def test_a_query_parameter_condition_counts_matching_requests_apart(harness: Harness) -> None:
    await _advanced(
        harness,
        {
            "type": "QUERYPARAMETERCONDITION",
            "queryParameterCondition": {"parameterName": "plan", "parameterValue": "free"},
        },
    )
    free = await _calls(harness, 2, f"{ECHO}?plan=free")
    assert [r.status_code for r in free] == [200, 429]
    assert free[1].json()["code"] == "900800"
    assert [r.status_code for r in await _calls(harness, 3, f"{ECHO}?plan=paid")] == [200, 200, 200]


async def test_a_jwt_claims_condition_counts_matching_tokens_apart(harness: Harness) -> None:
    await _advanced(
        harness,
        {"type": "JWTCLAIMSCONDITION", "jwtClaimsCondition": {"claimUrl": "plan", "attribute": "free"}},
    )
    free = await _calls(harness, 2, **harness.bearer(plan="free"))
    assert [r.status_code for r in free] == [200, 429]
    assert free[1].json()["code"] == "900800"
    assert [r.status_code for r in await _calls(harness, 3, **harness.bearer(plan="paid"))] == [200, 200, 200]


async def test_an_ip_condition_counts_the_callers_address_apart(harness: Harness) -> None:
    # httpx's ASGI transport calls from 127.0.0.1.
    await _advanced(
        harness,
        {"type": "IPCONDITION", "ipCondition": {"ipConditionType": "IPSPECIFIC", "specificIP": "10.1.1.1"}},
    )
    assert [r.status_code for r in await _calls(harness, 3)] == [200, 200, 200]
    await _advanced(
        harness,
        {
            "type": "IPCONDITION",
            "ipCondition": {
                "ipConditionType": "IPRANGE",
                "startingIP": "127.0.0.0",
                "endingIP": "127.0.0.255",
            },
        },
    )
    limited = await _calls(harness, 2, "/pets/1.0.0/echo/2")
    assert [r.status_code for r in limited] == [200, 429]


async def test_an_inverted_condition_counts_the_requests_that_do_not_match(harness: Harness) -> None:
    await _advanced(
        harness,
        {
            "type": "HEADERCONDITION",
            "invertCondition": True,
            "headerCondition": {"headerName": "X-Plan", "headerValue": "paid"},
        },
    )
    paid = await _calls(harness, 3, **{**harness.bearer(), "X-Plan": "paid"})
    assert [r.status_code for r in paid] == [200, 200, 200]
    unmarked = await _calls(harness, 2)
    assert [r.status_code for r in unmarked] == [200, 429]
    assert unmarked[1].json()["code"] == "900800"


def _cors(**configuration: Any) -> dict[str, Any]:
    return {
        "corsConfigurationEnabled": True,
        "accessControlAllowOrigins": ["https://shop.example"],
        "accessControlAllowCredentials": False,
        "accessControlAllowHeaders": ["authorization", "Content-Type"],
        "accessControlAllowMethods": ["GET", "POST"],
        **configuration,
    }


async def test_the_apis_cors_configuration_answers_a_preflight(harness: Harness) -> None:
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, corsConfiguration=_cors()))
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    r = await harness.client.options(ECHO, headers=preflight)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
    assert r.headers["access-control-allow-methods"] == "GET,POST"
    assert r.headers["access-control-allow-headers"] == "authorization,Content-Type"
    assert "access-control-allow-credentials" not in r.headers


async def test_the_apis_cors_configuration_marks_answers_to_allowed_origins_only(harness: Harness) -> None:
    configuration = _cors(accessControlAllowCredentials=True)
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, corsConfiguration=configuration))
    allowed = await harness.client.get(ECHO, headers={**harness.bearer(), "Origin": "https://shop.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    other = await harness.client.get(ECHO, headers={**harness.bearer(), "Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


async def test_a_disabled_cors_configuration_adds_no_cors_headers(harness: Harness) -> None:
    configuration = _cors(corsConfigurationEnabled=False)
    assert harness.gateway.state.deploy(pets_api(harness.backend_port, corsConfiguration=configuration))
    r = await harness.client.get(ECHO, headers={**harness.bearer(), "Origin": "https://shop.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


async def test_a_tiers_time_unit_sets_the_window_it_counts_in(harness: Harness) -> None:
    one_per_second = {
        "policyName": "Gold",
        "defaultLimit": count_limit(1, unit="sec"),
        "stopOnQuotaReach": True,
    }
    await harness.publish(
        Topic.THROTTLE_POLICIES,
        "throttle-policy.updated",
        {"policyType": "subscription", "policy": one_per_second},
    )
    # Windows start on the second: begin at the top of one so both calls fall in it.
    await asyncio.sleep(1.01 - time.time() % 1)
    first, second = await _calls(harness, 2)
    assert (first.status_code, second.status_code) == (200, 429)
    assert int(second.headers["retry-after"]) <= 1
    await asyncio.sleep(1.05)
    assert (await _calls(harness, 1))[0].status_code == 200


async def test_a_tiers_unit_time_multiplies_its_window(harness: Harness) -> None:
    limit = count_limit(1, unit="sec")
    limit["requestCount"]["unitTime"] = 86_400
    await harness.publish(
        Topic.THROTTLE_POLICIES,
        "throttle-policy.updated",
        {
            "policyType": "subscription",
            "policy": {"policyName": "Gold", "defaultLimit": limit, "stopOnQuotaReach": True},
        },
    )
    refused = (await _calls(harness, 2))[1]
    assert refused.status_code == 429
    # A day's window: the next call is admitted in more than a second (unless this is its last one).
    assert int(refused.headers["retry-after"]) > 1
