"""The mediation built-ins on a hand-made Exchange: headers, path, method, query, bodies, logs, faults."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from apim_gateway.context import Exchange, GatewayRequest, GatewayResponse, Headers, header
from apim_gateway.policies import Policy, PolicyRefusal
from apim_gateway.policies.base import REGISTRY


def policy(name: str, **parameters: Any) -> Policy:
    return REGISTRY[name](parameters)


def exchange(
    method: str = "GET",
    path: str = "/orders/42",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | None = None,
    response: GatewayResponse | None = None,
) -> Exchange:
    request = GatewayRequest(method, path, query, headers if headers is not None else [], "10.0.0.1", body)
    ex = Exchange(request, "carbon.super", "api-1", "/shop", "1.0.0", "/orders/{id}", response=response)
    ex.path_params = {"id": "42"}
    return ex


def json_response(body: bytes, status: int = 200, content_type: str = "application/json") -> GatewayResponse:
    return GatewayResponse(status, [("content-type", content_type), ("content-length", str(len(body)))], body)


# ---- addHeader / removeHeader


async def test_add_header_sets_the_header_on_the_request_replacing_the_clients() -> None:
    ex = exchange(headers=[("x-env", "client"), ("accept", "*/*")])
    await policy("addHeader", headerName="X-Env", headerValue="prod").on_request(ex)
    assert ex.request.headers == [("accept", "*/*"), ("x-env", "prod")]


async def test_add_header_in_the_response_and_fault_flows_changes_the_response() -> None:
    p = policy("addHeader", headerName="x-served-by", headerValue="gw")
    ex = exchange(response=GatewayResponse(200, []))
    await p.on_response(ex)
    assert ex.response is not None
    assert header(ex.response.headers, "x-served-by") == "gw"
    fault = exchange(response=GatewayResponse(502, []))
    await p.on_fault(fault)
    assert fault.response is not None
    assert header(fault.response.headers, "x-served-by") == "gw"
    assert fault.request.headers == []


async def test_remove_header_removes_every_value_of_it() -> None:
    ex = exchange(headers=[("cookie", "a"), ("x-keep", "1"), ("cookie", "b")])
    await policy("removeHeader", headerName="Cookie").on_request(ex)
    assert ex.request.headers == [("x-keep", "1")]
    ex = exchange(response=GatewayResponse(200, [("server", "backend"), ("x-a", "1")]))
    await policy("removeHeader", headerName="server").on_response(ex)
    assert ex.response is not None
    assert ex.response.headers == [("x-a", "1")]


# ---- rewriteResourcePath / changeHTTPMethod / addQueryParam


async def test_rewrite_resource_path_fills_in_path_parameters_and_keeps_the_query() -> None:
    ex = exchange(query="expand=items")
    ex.path_params = {"id": "a/b"}
    await policy("rewriteResourcePath", newResourcePath="/v2/orders/{uri.var.id}/summary").on_request(ex)
    assert ex.request.path == "/v2/orders/a%2Fb/summary"
    assert ex.request.query == "expand=items"


async def test_rewrite_resource_path_can_drop_the_query() -> None:
    ex = exchange(query="expand=items")
    await policy("rewriteResourcePath", newResourcePath="/static", includeQueryParams="false").on_request(ex)
    assert (ex.request.path, ex.request.query) == ("/static", "")


async def test_change_http_method_changes_the_method() -> None:
    ex = exchange(method="GET")
    await policy("changeHTTPMethod", updatedMethod="POST").on_request(ex)
    assert ex.request.method == "POST"


async def test_change_http_method_with_a_current_method_leaves_other_methods_alone() -> None:
    p = policy("changeHTTPMethod", currentMethod="PUT", updatedMethod="PATCH")
    put, get = exchange(method="PUT"), exchange(method="GET")
    await p.on_request(put)
    await p.on_request(get)
    assert (put.request.method, get.request.method) == ("PATCH", "GET")


async def test_add_query_param_appends_an_encoded_parameter() -> None:
    p = policy("addQueryParam", paramKey="tag", paramValue="a b&c")
    empty, existing = exchange(), exchange(query="x=1")
    await p.on_request(empty)
    await p.on_request(existing)
    assert empty.request.query == "tag=a+b%26c"
    assert existing.request.query == "x=1&tag=a+b%26c"


# ---- jsonToXML / xmlToJson


async def test_json_to_xml_converts_the_request_body_and_its_content_type() -> None:
    body = json.dumps({"order": {"@id": 7, "item": ["a", "b"], "paid": True, "note": None}}).encode()
    ex = exchange(
        method="POST", headers=[("content-type", "application/json"), ("content-length", "99")], body=body
    )
    await policy("jsonToXML").on_request(ex)
    assert ex.request.body == (
        b'<jsonObject><order id="7"><item>a</item><item>b</item><paid>true</paid><note /></order>'
        b"</jsonObject>"
    )
    assert ex.request.headers == [("content-type", "application/xml")]  # the old framing is gone


async def test_json_to_xml_wraps_a_top_level_array_and_honours_the_root_element() -> None:
    ex = exchange(method="POST", headers=[("content-type", "application/json")], body=b'[1, {"a": 2}]')
    await policy("jsonToXML").on_request(ex)
    assert (
        ex.request.body
        == b"<jsonArray><jsonElement>1</jsonElement><jsonElement><a>2</a></jsonElement></jsonArray>"
    )
    ex = exchange(method="POST", headers=[("content-type", "application/json")], body=b'{"a": 1}')
    await policy("jsonToXML", rootElement="Envelope").on_request(ex)
    assert ex.request.body == b"<Envelope><a>1</a></Envelope>"


async def test_json_to_xml_refuses_a_request_body_that_is_not_json() -> None:
    ex = exchange(method="POST", headers=[("content-type", "application/json")], body=b"{oops")
    with pytest.raises(PolicyRefusal) as refused:
        await policy("jsonToXML").on_request(ex)
    assert (refused.value.status, refused.value.code) == (400, "400")


async def test_json_to_xml_leaves_a_body_of_another_media_type_alone() -> None:
    ex = exchange(method="POST", headers=[("content-type", "text/plain")], body=b'{"a": 1}')
    await policy("jsonToXML").on_request(ex)
    assert ex.request.body == b'{"a": 1}'


async def test_json_to_xml_converts_the_response_body() -> None:
    ex = exchange(response=json_response(b'{"status": "ok"}'))
    await policy("jsonToXML").on_response(ex)
    assert ex.response is not None
    assert ex.response.body == b"<jsonObject><status>ok</status></jsonObject>"
    assert header(ex.response.headers, "content-type") == "application/xml"
    assert header(ex.response.headers, "content-length") is None


async def test_xml_to_json_converts_elements_attributes_repeats_and_primitives() -> None:
    xml = (
        b'<?xml version="1.0"?><ns:order xmlns:ns="urn:x" id="7"><item>a</item><item>b</item>'
        b"<total>12.5</total><paid>true</paid><zip>01234</zip><empty/></ns:order>"
    )
    ex = exchange(response=json_response(xml, content_type="application/xml; charset=utf-8"))
    await policy("xmlToJson").on_response(ex)
    assert ex.response is not None
    assert ex.response.body is not None
    assert json.loads(ex.response.body) == {
        "order": {"@id": 7, "item": ["a", "b"], "total": 12.5, "paid": True, "zip": "01234", "empty": None}
    }
    assert header(ex.response.headers, "content-type") == "application/json"


async def test_xml_to_json_unwraps_wso2s_json_object_root_on_the_request() -> None:
    ex = exchange(
        method="POST", headers=[("content-type", "text/xml")], body=b"<jsonObject><a>1</a></jsonObject>"
    )
    await policy("xmlToJson").on_request(ex)
    assert ex.request.body == b'{"a":1}'


async def test_xml_to_json_refuses_entity_declarations() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaa">]><r>&a;&a;</r>'
    ex = exchange(method="POST", headers=[("content-type", "application/xml")], body=bomb)
    with pytest.raises(PolicyRefusal) as refused:
        await policy("xmlToJson").on_request(ex)
    assert refused.value.status == 400


async def test_xml_to_json_refuses_xml_nested_too_deeply_instead_of_crashing() -> None:
    deep = b"<a>" * 5000 + b"x" + b"</a>" * 5000
    ex = exchange(method="POST", headers=[("content-type", "application/xml")], body=deep)
    with pytest.raises(PolicyRefusal) as refused:
        await policy("xmlToJson").on_request(ex)
    assert refused.value.status == 400
    assert "nested too deeply" in refused.value.description


async def test_xml_to_json_passes_an_unconvertible_response_on_unchanged() -> None:
    ex = exchange(response=json_response(b"<broken", content_type="application/xml"))
    await policy("xmlToJson").on_response(ex)
    assert ex.response is not None
    assert ex.response.body == b"<broken"


async def test_body_policies_leave_compressed_bodies_alone() -> None:
    response = GatewayResponse(
        200, [("content-type", "application/json"), ("content-encoding", "gzip")], b"\x1f\x8b"
    )
    ex = exchange(response=response)
    await policy("jsonToXML").on_response(ex)
    assert response.body == b"\x1f\x8b"


async def test_a_request_body_is_read_through_the_exchange_when_not_yet_buffered() -> None:
    ex = exchange(method="POST", headers=[("content-type", "application/json")])

    async def read() -> bytes:
        return b'{"a": true}'

    ex.read_request_body = read
    await policy("jsonToXML").on_request(ex)
    assert ex.request.body == b"<jsonObject><a>true</a></jsonObject>"


# ---- addLogMessage


async def test_add_log_message_logs_the_message_with_masked_headers(caplog: pytest.LogCaptureFixture) -> None:
    p = policy("addLogMessage", logMessage="order call", logHeaders="true", logPayload="true")
    ex = exchange(method="POST", headers=[("authorization", "Bearer secret"), ("x-a", "1")], body=b"payload")
    with caplog.at_level(logging.INFO, logger="apim_gateway.policies.log"):
        assert await p.on_request(ex) is None
    (record,) = caplog.records
    assert record.getMessage() == "order call"
    details = record.policy  # type: ignore[attr-defined]
    assert details["flow"] == "request"
    assert details["headers"] == {"authorization": "****", "x-a": "1"}
    assert details["payload"] == "payload"


async def test_add_log_message_never_fails_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    p = policy("addLogMessage", logMessage="x")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(logging.getLogger("apim_gateway.policies.log"), "info", broken)
    ex = exchange(response=GatewayResponse(500, []))
    assert await p.on_request(ex) is None
    await p.on_response(ex)
    await p.on_fault(ex)


# ---- jsonFault


async def test_json_fault_turns_wso2s_xml_fault_into_json() -> None:
    xml = (
        b'<am:fault xmlns:am="http://wso2.org/apimanager"><am:code>101503</am:code>'
        b"<am:message>Runtime Error</am:message>"
        b"<am:description>Error connecting to the back end</am:description>"
        b"</am:fault>"
    )
    ex = exchange(response=json_response(xml, 503, "application/xml"))
    await policy("jsonFault").on_fault(ex)
    assert ex.response is not None
    assert ex.response.body is not None
    assert json.loads(ex.response.body) == {
        "code": "101503",
        "message": "Runtime Error",
        "description": "Error connecting to the back end",
    }
    assert header(ex.response.headers, "content-type") == "application/json"


async def test_json_fault_wraps_a_plain_text_error_with_the_status() -> None:
    ex = exchange(response=json_response(b"upstream exploded", 502, "text/plain"))
    await policy("jsonFault").on_fault(ex)
    assert ex.response is not None
    assert ex.response.body is not None
    assert json.loads(ex.response.body) == {
        "code": "502",
        "message": "Bad Gateway",
        "description": "upstream exploded",
    }


async def test_json_fault_prefers_the_fault_the_request_path_describes() -> None:
    ex = exchange(response=json_response(b"", 504, "text/plain"))
    ex.variables["fault"] = {"code": "101504", "message": "Timeout", "description": "Backend timed out"}
    await policy("jsonFault").on_fault(ex)
    assert ex.response is not None
    assert ex.response.body is not None
    assert json.loads(ex.response.body)["code"] == "101504"


async def test_json_fault_unwraps_a_fault_object() -> None:
    body = b'{"fault": {"code": 900901, "message": "Invalid Credentials", "description": "bad token"}}'
    ex = exchange(response=json_response(body, 401))
    await policy("jsonFault").on_fault(ex)
    assert ex.response is not None
    assert ex.response.body is not None
    assert json.loads(ex.response.body) == {
        "code": "900901",
        "message": "Invalid Credentials",
        "description": "bad token",
    }
