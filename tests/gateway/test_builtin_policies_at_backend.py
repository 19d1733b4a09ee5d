"""Each built-in policy through the gateway's HTTP path: what the real backend received (the
echo of tests/support/backend.py) or, for refusals, preflights and faults, what the client got.

One API per test, its operations carrying one built-in policy (the API-level list where WSO2
users attach it so, e.g. CORS, and where both are natural, both).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest

from tests.gateway.conftest import Harness, pets_api
from tests.gateway.test_policies_remote import Interceptor
from tests.support.processes import free_port
from tests.support.serving import serving

ECHO = "/pets/1.0.0/echo/7"


def attach(name: str, **parameters: Any) -> dict[str, Any]:
    return {"policyName": name, "policyVersion": "v1", "parameters": parameters}


def deploy(
    harness: Harness,
    request: list[dict[str, Any]] | None = None,
    response: list[dict[str, Any]] | None = None,
    fault: list[dict[str, Any]] | None = None,
    *,
    api_level: bool = False,
    **extra: Any,
) -> None:
    """The API with GET, POST and PUT on ``/echo/{id}``, each carrying the given policies."""
    flows = {"request": request or [], "response": response or [], "fault": fault or []}
    api = pets_api(harness.backend_port, **extra)
    api["operations"] = [
        {
            "verb": verb,
            "target": "/echo/{id}",
            "authType": "Any",
            "operationPolicies": {"request": [], "response": [], "fault": []} if api_level else flows,
        }
        for verb in ("GET", "POST", "PUT")
    ]
    if api_level:
        api["apiPolicies"] = flows
    harness.gateway.state.deploy(api)


def echoed(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def interceptor() -> AsyncIterator[Interceptor]:
    service = Interceptor()
    async with serving(service.app, log_level="warning", access_log=False, interface="asgi3") as port:
        service.url = f"http://127.0.0.1:{port}/interceptors"
        yield service


@pytest.mark.parametrize("flow", ["request", "response"])
async def test_add_header(harness: Harness, flow: str) -> None:
    deploy(harness, **{flow: [attach("addHeader", headerName="X-Added", headerValue="yes")]})
    r = await harness.client.get(ECHO, headers=harness.bearer())
    if flow == "request":
        assert echoed(r)["headers"]["x-added"] == "yes"
        assert "x-added" not in r.headers
    else:
        assert "x-added" not in echoed(r)["headers"]
        assert r.headers["x-added"] == "yes"


async def test_remove_header(harness: Harness) -> None:
    deploy(harness, request=[attach("removeHeader", headerName="X-Internal")])
    r = await harness.client.get(ECHO, headers={**harness.bearer(), "X-Internal": "s", "X-Kept": "k"})
    headers = echoed(r)["headers"]
    assert "x-internal" not in headers
    assert headers["x-kept"] == "k"


@pytest.mark.parametrize("include_query", [True, False])
async def test_rewrite_resource_path(harness: Harness, include_query: bool) -> None:
    deploy(
        harness,
        request=[
            attach(
                "rewriteResourcePath",
                newResourcePath="/echo/items/{uri.var.id}/detail",
                includeQueryParams=include_query,
            )
        ],
    )
    body = echoed(await harness.client.get(f"{ECHO}?q=1", headers=harness.bearer()))
    assert body["path"] == "/echo/items/7/detail"
    assert body["query"] == ("q=1" if include_query else "")


async def test_change_http_method(harness: Harness) -> None:
    deploy(harness, request=[attach("changeHTTPMethod", currentMethod="POST", updatedMethod="PUT")])
    posted = echoed(await harness.client.post(ECHO, content=b'{"n": 1}', headers=harness.bearer()))
    assert posted["method"] == "PUT"
    assert posted["body"] == '{"n": 1}'
    fetched = echoed(await harness.client.get(ECHO, headers=harness.bearer()))
    assert fetched["method"] == "GET"


async def test_add_query_param(harness: Harness) -> None:
    deploy(harness, request=[attach("addQueryParam", paramKey="source", paramValue="gw one")])
    body = echoed(await harness.client.get(f"{ECHO}?a=1", headers=harness.bearer()))
    assert body["query"] == "a=1&source=gw+one"


async def test_json_to_xml_on_the_request(harness: Harness) -> None:
    deploy(harness, request=[attach("jsonToXML", rootElement="order")])
    r = await harness.client.post(
        ECHO,
        content=b'{"item": "tea", "count": 2}',
        headers={**harness.bearer(), "Content-Type": "application/json"},
    )
    body = echoed(r)
    assert body["headers"]["content-type"].startswith("application/xml")
    assert "<order><item>tea</item><count>2</count></order>" in body["body"]
    assert int(body["headers"]["content-length"]) == len(body["body"].encode())


async def test_json_to_xml_on_the_response(harness: Harness) -> None:
    deploy(harness, response=[attach("jsonToXML")])
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    assert b"<method>GET</method>" in r.content
    assert int(r.headers["content-length"]) == len(r.content)


async def test_xml_to_json(harness: Harness) -> None:
    deploy(harness, request=[attach("xmlToJson")])
    r = await harness.client.post(
        ECHO,
        content=b"<order><item>tea</item><count>2</count></order>",
        headers={**harness.bearer(), "Content-Type": "application/xml"},
    )
    body = echoed(r)
    assert body["headers"]["content-type"].startswith("application/json")
    assert json.loads(body["body"]) == {"order": {"item": "tea", "count": 2}}


@pytest.mark.parametrize(("payload", "reaches_backend"), [({"name": "tea"}, True), ({"size": 1}, False)])
async def test_json_validator(harness: Harness, payload: dict[str, Any], reaches_backend: bool) -> None:
    schema = {"type": "object", "required": ["name"]}
    deploy(harness, request=[attach("jsonValidator", jsonSchema=schema)])
    r = await harness.client.post(
        ECHO, json=payload, headers={**harness.bearer(), "Content-Type": "application/json"}
    )
    if reaches_backend:
        assert json.loads(echoed(r)["body"]) == payload
    else:
        assert r.status_code == 400
        assert r.json()["code"] == "400"
        assert "method" not in r.json()


@pytest.mark.parametrize(
    ("where", "reaches_backend"),
    [("body", False), ("query", False), ("header", False), ("nowhere", True)],
)
async def test_regex_policy(harness: Harness, where: str, reaches_backend: bool) -> None:
    deploy(harness, request=[attach("regexPolicy", regex=r"(?i)drop\s+table")])
    threat = "DROP TABLE users"
    r = await harness.client.post(
        ECHO + ("?q=" + threat.replace(" ", "+") if where == "query" else ""),
        content=threat.encode() if where == "body" else b"plain",
        headers={**harness.bearer(), **({"X-Note": threat} if where == "header" else {})},
    )
    if reaches_backend:
        assert echoed(r)["body"] == "plain"
    else:
        assert r.status_code == 400
        assert "Threat detected" in r.json()["description"]


async def test_add_log_message_logs_and_leaves_the_request_whole(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    deploy(
        harness,
        request=[attach("addLogMessage", logMessage="order received", logHeaders=True, logPayload=True)],
    )
    with caplog.at_level(logging.INFO, logger="apim_gateway.policies.log"):
        r = await harness.client.post(ECHO, content=b'{"n": 1}', headers={**harness.bearer(), "X-Kept": "k"})
    assert echoed(r)["body"] == '{"n": 1}'
    records = [rec for rec in caplog.records if rec.getMessage() == "order received"]
    assert len(records) == 1
    logged = records[0].policy  # type: ignore[attr-defined]
    assert logged["payload"] == '{"n": 1}'
    assert logged["headers"]["x-kept"] == "k"
    assert "authorization" not in logged["headers"]  # the credential is gone before policies run


@pytest.mark.parametrize(("department", "status"), [("sales", 200), ("it", 403)])
async def test_jwt_claim_based_access_validator(harness: Harness, department: str, status: int) -> None:
    deploy(
        harness,
        request=[
            attach(
                "jwtClaimBasedAccessValidator",
                accessVerificationClaim="department",
                accessVerificationClaimValue="sales",
            )
        ],
    )
    r = await harness.client.get(ECHO, headers=harness.bearer(department=department))
    assert r.status_code == status
    if status == 200:
        assert r.json()["path"] == "/echo/7"
    else:
        assert "method" not in r.json()


async def test_back_end_jwt(harness: Harness) -> None:
    deploy(harness, request=[attach("backEndJWT", header="X-End-User-JWT")])
    r = await harness.client.get(ECHO, headers={**harness.bearer(), "X-End-User-JWT": "forged-by-the-client"})
    token = echoed(r)["headers"]["x-end-user-jwt"]
    jwks = (await harness.client.get("/jwks")).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["sub"] == "alice@carbon.super"
    assert claims["http://wso2.org/claims/applicationid"] == "app-1"
    assert claims["http://wso2.org/claims/version"] == "1.0.0"
    assert claims["http://wso2.org/claims/keytype"] == "PRODUCTION"


async def test_mirror_request(harness: Harness, interceptor: Interceptor) -> None:
    mirror = interceptor.url.replace("/interceptors", "/mirror")
    deploy(harness, request=[attach("mirrorRequest", url=mirror)])
    r = await harness.client.post(f"{ECHO}?a=1", content=b'{"n": 1}', headers=harness.bearer())
    assert echoed(r)["body"] == '{"n": 1}'
    await harness.gateway.policy_services.drain()
    assert [path for path, _ in interceptor.calls] == ["/mirror/echo/7"]
    assert interceptor.calls[0][1] == {"n": 1}


async def test_redirect_request(harness: Harness) -> None:
    url = f"http://127.0.0.1:{harness.backend_port}/echo/elsewhere"
    deploy(harness, request=[attach("redirectRequest", url=url)])
    body = echoed(await harness.client.get(f"{ECHO}?a=1", headers=harness.bearer()))
    assert body["path"] == "/echo/elsewhere/echo/7"
    assert body["query"] == "a=1"


async def test_call_interceptor_service_changes_what_the_backend_gets(
    harness: Harness, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = {
        "headersToAdd": {"x-intercepted": "1"},
        "body": base64.b64encode(b'{"replaced": true}').decode(),
    }
    deploy(harness, request=[attach("callInterceptorService", interceptorServiceURL=interceptor.url)])
    r = await harness.client.post(ECHO, content=b'{"n": 1}', headers=harness.bearer())
    body = echoed(r)
    assert body["headers"]["x-intercepted"] == "1"
    assert body["body"] == '{"replaced": true}'
    assert int(body["headers"]["content-length"]) == len(b'{"replaced": true}')
    sent = interceptor.calls[0][1]
    assert base64.b64decode(sent["requestBody"]) == b'{"n": 1}'


async def test_call_interceptor_service_may_answer_instead_of_the_backend(
    harness: Harness, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = {
        "directRespond": True,
        "responseCode": 202,
        "body": base64.b64encode(b"accepted by the interceptor").decode(),
    }
    deploy(harness, request=[attach("callInterceptorService", interceptorServiceURL=interceptor.url)])
    r = await harness.client.post(ECHO, content=b"x", headers=harness.bearer())
    assert r.status_code == 202
    assert r.content == b"accepted by the interceptor"


@pytest.mark.parametrize("api_level", [True, False])
async def test_cors_preflight_is_answered_by_the_gateway(harness: Harness, api_level: bool) -> None:
    cors = attach("CORS", accessControlAllowOrigins="https://shop.example", accessControlMaxAge=600)
    deploy(harness, request=[cors], response=[cors], api_level=api_level)
    r = await harness.client.options(
        ECHO,
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-max-age"] == "600"
    assert r.content == b""


@pytest.mark.parametrize("origin", ["https://shop.example", "https://evil.example"])
async def test_cors_headers_on_the_backends_answer(harness: Harness, origin: str) -> None:
    cors = attach("CORS", accessControlAllowOrigins="https://shop.example")
    deploy(harness, request=[cors], response=[cors])
    r = await harness.client.get(ECHO, headers={**harness.bearer(), "Origin": origin})
    assert echoed(r)["headers"]["origin"] == origin
    if origin == "https://shop.example":
        assert r.headers["access-control-allow-origin"] == origin
    else:
        assert "access-control-allow-origin" not in r.headers


async def test_json_fault_on_an_unreachable_backend(harness: Harness) -> None:
    down = {"endpoint_type": "http", "production_endpoints": {"url": f"http://127.0.0.1:{free_port()}"}}
    deploy(
        harness,
        fault=[attach("jsonFault"), attach("addHeader", headerName="X-Fault", headerValue="1")],
        endpointConfig=down,
    )
    r = await harness.client.get(ECHO, headers=harness.bearer())
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-fault"] == "1"
    assert r.json() == {
        "code": "101503",
        "message": "Error connecting to the back end",
        "description": r.json()["description"],
    }
    assert int(r.headers["content-length"]) == len(r.content)


async def test_json_fault_on_a_policy_refusal(harness: Harness) -> None:
    deploy(harness, request=[attach("regexPolicy", regex="forbidden")], fault=[attach("jsonFault")])
    r = await harness.client.post(ECHO, content=b"forbidden word", headers=harness.bearer())
    assert r.status_code == 400
    assert set(r.json()) == {"code", "message", "description"}
    assert "Threat detected in Payload" in r.json()["description"]
