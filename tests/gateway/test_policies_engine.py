"""compile_chain with the built-ins: which lists apply, in what order, and what is refused at deploy."""

from __future__ import annotations

from typing import Any

import pytest

from apim_gateway.context import Exchange, GatewayRequest, GatewayResponse, header
from apim_gateway.policies import PolicyConfigError, PolicyServices, Reply, compile_chain


def add_header(name: str, value: str) -> dict[str, Any]:
    return {
        "policyName": "addHeader",
        "policyVersion": "v1",
        "parameters": {"headerName": name, "headerValue": value},
    }


def exchange() -> Exchange:
    request = GatewayRequest("GET", "/orders", "", [], "127.0.0.1")
    return Exchange(request, "carbon.super", "api-1", "/shop", "1.0.0", "/orders")


async def run_request(chain: Any, ex: Exchange) -> None:
    for policy in chain.request:
        assert await policy.on_request(ex) is None


async def test_global_policies_run_before_api_level_ones_in_the_given_order() -> None:
    chain = compile_chain(
        {"request": [add_header("x-trace", "global-1"), add_header("x-trace", "global-2")]},
        {"request": [add_header("x-trace", "api-1"), add_header("x-trace", "api-2")]},
        None,
    )
    assert [p.parameters["headerValue"] for p in chain.request] == ["global-1", "global-2", "api-1", "api-2"]
    ex = exchange()
    await run_request(chain, ex)
    assert ex.request.headers == [("x-trace", "api-2")]  # the last one set wins: order was kept


async def test_api_level_policies_win_over_operation_level_ones() -> None:
    chain = compile_chain(
        None,
        {"request": [add_header("x-level", "api")]},
        {"request": [add_header("x-level", "operation")], "response": [add_header("x-r", "op")]},
    )
    assert [p.parameters["headerValue"] for p in chain.request] == ["api"]
    assert chain.response == ()  # the operation's lists are ignored as a whole


async def test_operation_level_policies_apply_when_the_api_has_none() -> None:
    chain = compile_chain(
        {"request": [add_header("x-g", "1")]},
        {"request": [], "response": [], "fault": []},
        {"request": [add_header("x-op", "1")]},
    )
    ex = exchange()
    await run_request(chain, ex)
    assert ex.request.headers == [("x-g", "1"), ("x-op", "1")]


def test_a_policy_attached_to_a_flow_it_does_not_support_is_refused() -> None:
    with pytest.raises(PolicyConfigError, match="jsonFault: cannot run in the request flow"):
        compile_chain(None, {"request": [{"policyName": "jsonFault", "parameters": {}}]}, None)


def test_bad_parameters_fail_the_whole_chain_at_compile_time() -> None:
    with pytest.raises(PolicyConfigError, match="rewriteResourcePath: newResourcePath: required"):
        compile_chain(None, None, {"request": [{"policyName": "rewriteResourcePath", "parameters": {}}]})


def test_body_needs_are_known_per_chain_and_per_configuration() -> None:
    headers_only = compile_chain(
        None,
        {
            "request": [
                {"policyName": "regexPolicy", "parameters": {"regex": "x", "enabledCheckBody": "false"}}
            ]
        },
        None,
    )
    with_body = compile_chain(
        None, {"request": [{"policyName": "regexPolicy", "parameters": {"regex": "x"}}]}, None
    )
    assert headers_only.needs_request_body is False
    assert with_body.needs_request_body is True
    transform = compile_chain(None, {"response": [{"policyName": "xmlToJson", "parameters": {}}]}, None)
    assert transform.needs_response_body is True
    assert transform.needs_request_body is False


async def test_several_builtins_run_together_in_each_flow_in_the_engines_order() -> None:
    chain = compile_chain(
        {"request": [{"policyName": "regexPolicy", "parameters": {"regex": "DROP TABLE"}}]},
        {
            "request": [
                {"policyName": "CORS", "parameters": {}},
                add_header("x-step", "1"),
                {"policyName": "rewriteResourcePath", "parameters": {"newResourcePath": "/v2/orders"}},
                {"policyName": "addQueryParam", "parameters": {"paramKey": "src", "paramValue": "gw"}},
            ],
            "response": [
                {"policyName": "CORS", "parameters": {}},
                {"policyName": "removeHeader", "parameters": {"headerName": "server"}},
            ],
            "fault": [{"policyName": "jsonFault", "parameters": {}}],
        },
        None,
    )
    ex = exchange()
    ex.request.headers.append(("origin", "https://a.example"))
    ex.request.body = b""
    for p in chain.request:
        assert not isinstance(await p.on_request(ex), Reply)
    assert (ex.request.path, ex.request.query) == ("/v2/orders", "src=gw")
    assert header(ex.request.headers, "x-step") == "1"
    ex.response = GatewayResponse(200, [("server", "backend")], b"{}")
    for p in chain.response:
        await p.on_response(ex)
    assert ex.response.headers == [("access-control-allow-origin", "*")]
    ex.response = GatewayResponse(504, [("content-type", "text/plain")], b"timed out")
    for p in chain.fault:
        await p.on_fault(ex)
    assert ex.response.body == b'{"code": "504", "message": "Gateway Timeout", "description": "timed out"}'


def test_compiled_policies_share_the_services_handed_in_and_no_global_otherwise() -> None:
    mirror = {"request": [{"policyName": "mirrorRequest", "parameters": {"url": "http://127.0.0.1:9/m"}}]}
    services = PolicyServices()
    handed = compile_chain(None, mirror, None, services)
    assert handed.request[0].services is services
    alone = compile_chain(None, mirror, None).request[0], compile_chain(None, mirror, None).request[0]
    assert alone[0].services is not alone[1].services
    assert services not in (alone[0].services, alone[1].services)
