"""What the platform cannot honour is refused with 400 naming the field, never stored unused;
what GET returned is accepted back as it was."""

from __future__ import annotations

from typing import Any

import httpx

from tests.publisher_api.conftest import BASE, PIZZA, Publisher
from tests.publisher_api.test_policies import put_api
from tests.publisher_api.test_products import product_body, two_apis

ROUND_ROBIN = "org.apache.synapse.endpoints.algorithms.RoundRobin"


async def _create(publisher: Publisher, **changes: Any) -> httpx.Response:
    return await publisher.client.post(f"{BASE}/apis", json={**PIZZA, **changes}, headers=publisher.auth())


def _endpoints(**changes: Any) -> dict[str, Any]:
    return {**PIZZA["endpointConfig"], **changes}  # type: ignore[dict-item]


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    return "; ".join(f"{e['message']}: {e['description']}" for e in response.json()["error"])


async def test_what_get_returned_is_accepted_back_unchanged(publisher: Publisher) -> None:
    api = await publisher.create_api()
    shown = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    r = await put_api(publisher, shown)
    assert r.status_code == 200, r.text
    assert r.json()["endpointConfig"] == shown["endpointConfig"]


async def test_an_unknown_top_level_key_is_refused_naming_it(publisher: Publisher) -> None:
    refusal = _refusal(await _create(publisher, enableStore=False, wsdlUrl="http://x.example/?wsdl"))
    assert "enableStore" in refusal
    assert "wsdlUrl" in refusal


async def test_wso2_keys_for_features_left_off_are_accepted(publisher: Publisher) -> None:
    exported = {
        "gatewayVendor": "wso2",
        "enableStore": True,
        "wsdlUrl": None,
        "mediationPolicies": [],
        "enableSubscriberVerification": False,
        "advertiseInfo": {"advertised": False, "apiOwner": "admin", "vendor": "WSO2"},
        "websubSubscriptionConfiguration": {"enable": False, "secret": "", "signingAlgorithm": "SHA1"},
    }
    r = await _create(publisher, **exported)
    assert r.status_code == 201, r.text
    assert "gatewayVendor" not in r.json()


async def test_an_unknown_key_in_an_update_is_refused_and_nothing_changes(publisher: Publisher) -> None:
    api = await publisher.create_api()
    mediation = [{"name": "log_in_message", "type": "IN"}]
    refusal = _refusal(await put_api(publisher, api, description="changed", mediationPolicies=mediation))
    assert "mediationPolicies" in refusal
    kept = (await publisher.client.get(f"{BASE}/apis/{api['id']}", headers=publisher.auth())).json()
    assert kept["description"] == api["description"]


async def test_an_unknown_endpoint_config_key_is_refused_naming_it(publisher: Publisher) -> None:
    r = await _create(publisher, endpointConfig=_endpoints(amznRegion="eu-west-1"))
    assert "endpointConfig.amznRegion" in _refusal(r)


async def test_an_unknown_key_of_an_endpoint_is_refused_naming_it(publisher: Publisher) -> None:
    endpoint = {"url": "https://backend.example.com/pizza", "retryCount": 3}
    r = await _create(publisher, endpointConfig=_endpoints(production_endpoints=endpoint))
    assert "endpointConfig.production_endpoints.Endpoint.retryCount" in _refusal(r)


async def test_an_endpoint_setting_the_gateway_does_not_apply_is_refused(publisher: Publisher) -> None:
    endpoint = {"url": "https://backend.example.com/pizza", "config": {"retryTimeOut": "3"}}
    r = await _create(publisher, endpointConfig=_endpoints(production_endpoints=endpoint))
    assert "production_endpoints.Endpoint.config.retryTimeOut" in _refusal(r)


async def test_the_keys_wso2_clients_send_with_an_endpoint_are_accepted(publisher: Publisher) -> None:
    endpoint = {
        "url": "https://backend.example.com/pizza",
        "endpoint_type": "http",
        "template_not_supported": False,
        "config": {"actionDuration": "3000", "suspendDuration": ""},
    }
    api = await publisher.create_api({"endpointConfig": _endpoints(production_endpoints=endpoint)})
    assert api["endpointConfig"]["production_endpoints"]["config"]["actionDuration"] == 3000


async def test_a_url_template_in_an_endpoint_url_is_refused(publisher: Publisher) -> None:
    endpoint = {"url": "https://backend.example.com/pizza/{uri.var.id}"}
    r = await _create(publisher, endpointConfig=_endpoints(production_endpoints=endpoint))
    assert "URL templates" in _refusal(r)


async def test_a_load_balancing_algorithm_other_than_round_robin_is_refused(publisher: Publisher) -> None:
    group = [{"url": "https://a.example.com"}, {"url": "https://b.example.com"}]
    for name in ("algoClassName", "algoCombo"):
        config = {
            "endpoint_type": "load_balance",
            "production_endpoints": group,
            name: "com.example.Weighted",
        }
        assert name in _refusal(await _create(publisher, endpointConfig=config))
    accepted = {"endpoint_type": "load_balance", "production_endpoints": group, "algoCombo": ROUND_ROBIN}
    assert (await _create(publisher, endpointConfig=accepted)).status_code == 201


async def test_session_affinity_is_refused(publisher: Publisher) -> None:
    group = [{"url": "https://a.example.com"}, {"url": "https://b.example.com"}]
    sticky = {
        "endpoint_type": "load_balance",
        "production_endpoints": group,
        "sessionManagement": "transport",
    }
    assert "sessionManagement" in _refusal(await _create(publisher, endpointConfig=sticky))
    timed = {"endpoint_type": "load_balance", "production_endpoints": group, "sessionTimeOut": "60000"}
    assert "sessionTimeOut" in _refusal(await _create(publisher, endpointConfig=timed))


async def test_load_balancing_without_failover_is_refused(publisher: Publisher) -> None:
    group = [{"url": "https://a.example.com"}, {"url": "https://b.example.com"}]
    config = {"endpoint_type": "load_balance", "production_endpoints": group, "failOver": False}
    assert "failOver" in _refusal(await _create(publisher, endpointConfig=config))


async def test_a_gateway_type_other_than_synapse_is_refused(publisher: Publisher) -> None:
    assert "gatewayType" in _refusal(await _create(publisher, gatewayType="wso2/apk"))


async def test_a_single_transport_is_refused(publisher: Publisher) -> None:
    assert "transport" in _refusal(await _create(publisher, transport=["https"]))


async def test_visible_tenants_are_refused(publisher: Publisher) -> None:
    assert "visibleTenants" in _refusal(await _create(publisher, visibleTenants=["acme.com"]))


async def test_a_payload_schema_or_uri_mapping_on_an_operation_is_refused(publisher: Publisher) -> None:
    for name in ("payloadSchema", "uriMapping"):
        operation = {"target": "/menu", "verb": "GET", name: "/menu/{id}"}
        assert f"operations.0.{name}" in _refusal(await _create(publisher, operations=[operation]))


async def test_a_product_with_a_single_transport_is_refused(publisher: Publisher) -> None:
    pizza, drinks = await two_apis(publisher)
    r = await publisher.client.post(
        f"{BASE}/api-products", json=product_body(pizza, drinks, transport=["http"]), headers=publisher.auth()
    )
    assert "transport" in _refusal(r)
