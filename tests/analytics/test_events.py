"""Reading request events: WSO2's fields, the gateway's current fields, and bad values as absent."""

from __future__ import annotations

from apim_analytics.rollups.events import EVENT_ID_LENGTH, event_key, read
from apim_common.events.envelope import CloudEvent
from tests.analytics.support import T0, request_event


def test_wso2_fields_give_status_resource_and_the_three_latencies() -> None:
    event = read(request_event(tenant="acme.com", proxyResponseCode=502, targetResponseCode=-1))
    assert (event.tenant, event.api_id, event.application_id) == ("acme.com", "api-1", "app-1")
    assert (event.resource, event.status_code, event.is_error) == ("GET /pets", 502, True)
    assert (event.total_ms, event.backend_ms, event.gateway_ms) == (12.0, 9.0, 3.0)
    assert event.at == T0


def test_the_gateways_current_event_is_read() -> None:
    data = {
        "requestTimestamp": int(T0 * 1000) + 1500,
        "apiId": "api-1",
        "apiName": "Pets",
        "apiVersion": "1.0.0",
        "apiMethod": "POST",
        "apiResourceTemplate": "/pets",
        "responseCode": 401,
        "responseLatencyMs": 0.734,
        "applicationId": None,
        "keyType": None,
        "userName": None,
        "userIp": "127.0.0.1",
        "errorCode": "900901",
        "gatewayId": "gw-1",
    }
    event = read(CloudEvent(source="/gateway/gw-1", type="request.completed", subject="api-1", data=data))
    assert (event.status_code, event.error_type, event.application_id) == (401, "AUTH", "")
    assert (event.total_ms, event.backend_ms, event.gateway_ms) == (0.734, None, None)
    assert event.at == T0 + 1.5


def test_an_iso_timestamp_is_read_as_wso2_sends_it() -> None:
    event = read(request_event(requestTimestamp="2026-05-28T20:30:00.250Z"))
    assert event.at == T0 + 0.25


def test_values_of_the_wrong_type_are_absent_and_long_strings_are_cut() -> None:
    event = read(
        request_event(
            responseLatency="fast",
            backendLatency=-5,
            proxyResponseCode=True,
            requestTimestamp={"at": 1},
            apiId="x" * 500 + "\x00",
            applicationOwner=["bob"],
        )
    )
    assert (event.total_ms, event.backend_ms, event.status_code) == (None, None, 0)
    assert len(event.api_id) == 64
    assert event.application_owner is None
    assert event.gateway_ms == 3.0  # from the mediation latencies, still well formed


def test_an_overlong_event_id_is_remembered_by_a_digest_of_the_same_length_limit() -> None:
    long_id = "urn:event:" + "7" * 80
    assert len(event_key(long_id)) == EVENT_ID_LENGTH
    assert event_key(long_id) == event_key(long_id)
    assert event_key(long_id) != event_key(long_id + "8")
    assert event_key("evt-1") == "evt-1"
