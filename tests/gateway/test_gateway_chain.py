"""Ordered policies on the request path, and the backend JWT verified as a backend would."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from apim_common.events.topics import Topic
from tests.gateway.conftest import Harness, pets_api


def _add(name: str, value: str) -> dict[str, Any]:
    return {
        "policyName": "addHeader",
        "policyVersion": "v1",
        "parameters": {"headerName": name, "headerValue": value},
    }


async def test_global_policies_run_before_api_level_ones_which_replace_operation_level_ones(
    harness: Harness,
) -> None:
    api = pets_api(harness.backend_port)
    api["apiPolicies"] = {"request": [_add("x-order", "api")], "response": [], "fault": []}
    api["operations"][0]["operationPolicies"] = {
        "request": [_add("x-operation", "yes")],
        "response": [],
        "fault": [],
    }
    harness.gateway.state.deploy(api)
    await harness.publish(
        Topic.GATEWAY_POLICIES,
        "gateway-policy.deployed",
        {"id": "gp-1", "policyMapping": {"request": [_add("x-order", "global"), _add("x-global", "yes")]}},
    )
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    assert echoed["x-order"] == "api"  # the API-level policy ran after the global one
    assert echoed["x-global"] == "yes"
    assert "x-operation" not in echoed


async def test_operation_policies_apply_when_the_api_has_none(harness: Harness) -> None:
    api = pets_api(harness.backend_port)
    api["operations"][0]["operationPolicies"] = {
        "request": [_add("x-operation", "yes")],
        "response": [_add("x-answered", "by-gateway")],
        "fault": [],
    }
    harness.gateway.state.deploy(api)
    r = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    assert r.json()["headers"]["x-operation"] == "yes"
    assert r.headers["x-answered"] == "by-gateway"
    assert int(r.headers["content-length"]) == len(r.content)


async def test_undeploying_a_global_policy_takes_it_off_every_api(harness: Harness) -> None:
    await harness.publish(
        Topic.GATEWAY_POLICIES,
        "gateway-policy.deployed",
        {"id": "gp-1", "policyMapping": {"request": [_add("x-global", "1")]}},
    )
    await harness.publish(Topic.GATEWAY_POLICIES, "gateway-policy.undeployed", {"id": "gp-1"})
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    assert "x-global" not in echoed


async def test_a_global_policy_deployed_to_another_label_is_not_applied(harness: Harness) -> None:
    await harness.publish(
        Topic.GATEWAY_POLICIES,
        "gateway-policy.deployed",
        {"id": "gp-2", "gatewayLabel": "Sandbox-GW", "policyMapping": {"request": [_add("x-global", "1")]}},
    )
    await harness.publish(
        Topic.GATEWAY_POLICIES,
        "gateway-policy.deployed",
        {"id": "gp-3", "gatewayLabel": "Default", "policyMapping": {"request": [_add("x-default", "1")]}},
    )
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    assert "x-global" not in echoed
    assert echoed["x-default"] == "1"


async def test_undeploying_from_another_label_leaves_this_gateways_policy(harness: Harness) -> None:
    mapping = {"id": "gp-4", "policyMapping": {"request": [_add("x-global", "1")]}}
    await harness.publish(
        Topic.GATEWAY_POLICIES, "gateway-policy.deployed", {**mapping, "gatewayLabel": "Default"}
    )
    await harness.publish(
        Topic.GATEWAY_POLICIES, "gateway-policy.undeployed", {**mapping, "gatewayLabel": "Other"}
    )
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    assert echoed["x-global"] == "1"


async def test_a_policy_refusal_answers_its_error_and_runs_the_fault_flow(harness: Harness) -> None:
    api = pets_api(harness.backend_port)
    api["apiPolicies"] = {
        "request": [
            {
                "policyName": "jwtClaimBasedAccessValidator",
                "policyVersion": "v1",
                "parameters": {
                    "accessVerificationClaim": "department",
                    "accessVerificationClaimValue": "sales",
                },
            }
        ],
        "response": [],
        "fault": [_add("x-fault", "handled")],
    }
    harness.gateway.state.deploy(api)
    refused = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(department="it"))
    assert refused.status_code == 403
    assert set(refused.json()) == {"code", "message", "description"}
    assert refused.headers["x-fault"] == "handled"
    allowed = await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer(department="sales"))
    assert allowed.status_code == 200


async def _verify_backend_jwt(harness: Harness, token: str) -> dict[str, Any]:
    jwks = (await harness.client.get("/jwks")).json()
    header = jwt.get_unverified_header(token)
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    public = jwt.PyJWK(key).key
    claims: dict[str, Any] = jwt.decode(token, public, algorithms=["RS256"], options={"verify_aud": False})
    return claims


async def test_the_backend_jwt_policy_sends_a_jwt_the_backend_verifies_with_the_gateways_jwks(
    harness: Harness,
) -> None:
    api = pets_api(harness.backend_port)
    api["apiPolicies"] = {
        "request": [
            {"policyName": "backEndJWT", "policyVersion": "v1", "parameters": {"enableUserClaims": True}}
        ],
        "response": [],
        "fault": [],
    }
    harness.gateway.state.deploy(api)
    headers = {**harness.bearer(department="sales"), "X-JWT-Assertion": "forged"}
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=headers)).json()["headers"]
    claims = await _verify_backend_jwt(harness, echoed["x-jwt-assertion"])
    assert claims["http://wso2.org/claims/applicationid"] == "app-1"
    assert claims["http://wso2.org/claims/applicationname"] == "PetShop"
    assert claims["http://wso2.org/claims/apicontext"] == "/pets"
    assert claims["http://wso2.org/claims/version"] == "1.0.0"
    assert claims["http://wso2.org/claims/tier"] == "Gold"
    assert claims["http://wso2.org/claims/keytype"] == "PRODUCTION"
    assert claims["http://wso2.org/claims/enduser"] == "alice@carbon.super"
    assert claims["department"] == "sales"


async def test_the_tenant_jwks_publishes_the_same_key(harness: Harness) -> None:
    assert (await harness.client.get("/t/acme.com/jwks")).json() == (await harness.client.get("/jwks")).json()


@pytest.mark.parametrize(
    "settings_overrides", [{"backend_jwt_enabled": True, "backend_jwt_header": "X-Caller"}]
)
async def test_the_gateway_setting_sends_the_backend_jwt_for_every_api(harness: Harness) -> None:
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    claims = await _verify_backend_jwt(harness, echoed["x-caller"])
    assert claims["http://wso2.org/claims/subscriber"] == "alice@carbon.super"


async def test_without_the_policy_or_the_setting_no_backend_jwt_is_sent(harness: Harness) -> None:
    echoed = (await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())).json()["headers"]
    assert "x-jwt-assertion" not in echoed
