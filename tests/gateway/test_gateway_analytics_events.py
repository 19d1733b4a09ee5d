"""The gateway's analytics events carry WSO2's response and fault event fields, names and types."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

import pytest

from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_gateway.request.analytics_event import error_category
from tests.gateway.conftest import TENANT, Harness, base_snapshot, pets_api

CHROME_ON_A_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
# WSO2's ``apim_event_response`` fields and their JSON types (carbon-apimgt's analytics Event,
# the ELK guide's table); None where WSO2 writes null for what it does not know.
RESPONSE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "apiId": str,
    "apiName": str,
    "apiVersion": str,
    "apiType": str,
    "apiContext": str,
    "apiCreator": str,
    "apiCreatorTenantDomain": str,
    "apiMethod": str,
    "apiResourceTemplate": str,
    "applicationId": str,
    "applicationName": str,
    "applicationOwner": str,
    "keyType": str,
    "userName": str,
    "userIp": str,
    "userAgent": str,
    "platform": str,
    "correlationId": str,
    "destination": str,
    "proxyResponseCode": int,
    "targetResponseCode": int,
    "responseLatency": int,
    "backendLatency": int,
    "requestMediationLatency": int,
    "responseMediationLatency": int,
    "responseCacheHit": bool,
    "regionId": str,
    "gatewayType": str,
    "eventType": str,
    "requestTimestamp": str,
    "properties": dict,
}
FAULT_FIELDS = {"errorType": str, "errorCode": int, "errorMessage": str}
ISO_UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def snapshot(backend_port: int) -> dict[str, dict[str, Any]]:
    found = copy.deepcopy(base_snapshot(backend_port))
    found["publisher"]["artifacts"][0]["provider"] = "creator-1"
    unreachable = pets_api(
        backend_port,
        id="api-down",
        name="Down",
        context="/down",
        revisionId="rev-down-1",
        isDefaultVersion=False,
        endpointConfig={"endpoint_type": "http", "production_endpoints": {"url": "http://127.0.0.1:9"}},
    )
    found["publisher"]["artifacts"].append(unreachable)
    found["devportal"]["subscriptions"].append(
        {
            "subscriptionId": "sub-down",
            "applicationId": "app-1",
            "apiId": "api-down",
            "throttlingPolicy": "Gold",
            "status": "UNBLOCKED",
        }
    )
    return found


class Events:
    def __init__(self, harness: Harness) -> None:
        self.seen: list[CloudEvent] = []
        harness.bus.subscribe([str(Topic.ANALYTICS)], f"events-{id(self)}", self._collect)

    async def _collect(self, event: CloudEvent) -> None:
        self.seen.append(event)

    async def wait(self, count: int) -> list[dict[str, Any]]:
        for _ in range(200):
            if len(self.seen) >= count:
                break
            await asyncio.sleep(0.01)
        assert len(self.seen) >= count, f"{len(self.seen)} events, {count} expected"
        return [event.data for event in self.seen]


async def test_response_event_carries_every_wso2_field(harness: Harness) -> None:
    events = Events(harness)
    headers = {**harness.bearer(), "User-Agent": CHROME_ON_A_MAC, "activityid": "corr-1"}
    response = await harness.client.get("/pets/1.0.0/echo/1", headers=headers)
    assert response.status_code == 200
    [data] = await events.wait(1)
    wrong = {
        name: data.get(name)
        for name, kind in RESPONSE_FIELDS.items()
        if not isinstance(data.get(name), kind) or (kind is int and isinstance(data.get(name), bool))
    }
    assert wrong == {}
    assert data["eventType"] == "response"
    assert ISO_UTC_MS.match(data["requestTimestamp"])
    assert (data["userAgent"], data["platform"]) == ("Chrome", "Mac OS X")
    assert (data["apiCreator"], data["apiCreatorTenantDomain"]) == ("creator-1", TENANT)
    assert (data["apiType"], data["apiContext"]) == ("HTTP", "/pets/1.0.0")
    assert (data["applicationName"], data["keyType"], data["correlationId"]) == (
        "PetShop",
        "PRODUCTION",
        "corr-1",
    )
    assert data["destination"] == f"http://127.0.0.1:{harness.backend_port}"
    assert data["proxyResponseCode"] == data["targetResponseCode"] == 200
    assert data["responseLatency"] >= data["backendLatency"]
    parts = data["backendLatency"] + data["requestMediationLatency"] + data["responseMediationLatency"]
    assert parts == data["responseLatency"]
    assert data["properties"]["responseSize"] == int(response.headers["content-length"])
    assert "errorType" not in data


async def test_fault_event_has_target_response_code_minus_one_when_the_backend_was_not_reached(
    harness: Harness,
) -> None:
    events = Events(harness)
    assert (await harness.client.get("/pets/1.0.0/echo/1")).status_code == 401
    [data] = await events.wait(1)
    assert (data["eventType"], data["proxyResponseCode"], data["targetResponseCode"]) == ("fault", 401, -1)
    assert {name: type(data[name]) for name in FAULT_FIELDS} == FAULT_FIELDS
    assert (data["errorType"], data["errorCode"], data["errorMessage"]) == (
        "AUTH",
        900902,
        "AUTHENTICATION_FAILURE",
    )
    assert data["backendLatency"] == 0


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("900901", ("AUTH", "AUTHENTICATION_FAILURE")),
        ("900902", ("AUTH", "AUTHENTICATION_FAILURE")),
        ("900910", ("AUTH", "AUTHORIZATION_FAILURE")),
        ("900908", ("AUTH", "SUBSCRIPTION_VALIDATION_FAILURE")),
        ("900950", ("AUTH", "OTHER")),
        ("900800", ("THROTTLED", "API_LEVEL_LIMIT_EXCEEDED")),
        ("900801", ("THROTTLED", "HARD_LIMIT_EXCEEDED")),
        ("900802", ("THROTTLED", "RESOURCE_LEVEL_LIMIT_EXCEEDED")),
        ("900803", ("THROTTLED", "APPLICATION_LEVEL_LIMIT_EXCEEDED")),
        ("900804", ("THROTTLED", "SUBSCRIPTION_LIMIT_EXCEEDED")),
        ("900805", ("THROTTLED", "BLOCKED")),
        ("900806", ("THROTTLED", "CUSTOM_POLICY_LIMIT_EXCEEDED")),
        ("900807", ("THROTTLED", "BURST_CONTROL_LIMIT_EXCEEDED")),
        ("900809", ("THROTTLED", "BURST_CONTROL_LIMIT_EXCEEDED")),
        ("101504", ("TARGET_CONNECTIVITY", "CONNECTION_TIMEOUT")),
        ("101503", ("TARGET_CONNECTIVITY", "OTHER")),
        ("900906", ("OTHER", "RESOURCE_NOT_FOUND")),
        ("413", ("OTHER", "UNCLASSIFIED")),
    ],
)
def test_error_codes_map_to_wso2_error_categories(code: str, category: tuple[str, str]) -> None:
    assert error_category(code) == category


@pytest.mark.parametrize("settings_overrides", [{"gateway_circuit_failures": 1}])
async def test_a_call_to_an_open_circuit_is_a_suspended_connection(harness: Harness) -> None:
    events = Events(harness)
    assert (await harness.client.get("/down/1.0.0/echo/1", headers=harness.bearer())).status_code == 503
    await events.wait(1)  # the first failure opens the circuit
    assert (await harness.client.get("/down/1.0.0/echo/1", headers=harness.bearer())).status_code == 503
    first, second = await events.wait(2)
    assert (first["errorType"], first["errorMessage"]) == ("TARGET_CONNECTIVITY", "OTHER")
    assert (second["errorType"], second["errorMessage"]) == ("TARGET_CONNECTIVITY", "CONNECTION_SUSPENDED")
    assert second["targetResponseCode"] == -1


async def test_application_owner_comes_from_synced_application_data(harness: Harness) -> None:
    events = Events(harness)
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    await events.wait(1)
    application = {
        "applicationId": "app-1",
        "name": "PetShop",
        "owner": "bob",
        "throttlingPolicy": "Unlimited",
        "status": "APPROVED",
        "tenant": TENANT,
    }
    await harness.publish(str(Topic.APPLICATIONS), "application.updated", application)
    await harness.client.get("/pets/1.0.0/echo/1", headers=harness.bearer())
    first, second = await events.wait(2)
    assert (first["applicationOwner"], second["applicationOwner"]) == ("alice", "bob")
    # userName stays the token's end user: the owner is the application's, not the caller's.
    assert first["userName"] == second["userName"] == "alice@carbon.super"
