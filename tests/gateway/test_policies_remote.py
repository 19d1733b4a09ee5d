"""The built-ins that talk to other services, against real HTTP servers.

The backend of tests/support/backend.py runs in its own process; the interceptor service (which
must answer WSO2's interceptor contract, and record what it was sent) runs in-process on uvicorn.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from apim_gateway.context import AuthContext, Exchange, GatewayRequest, GatewayResponse, Headers
from apim_gateway.policies import Policy, PolicyRefusal, PolicyServices, Reply
from apim_gateway.policies.base import REGISTRY
from apim_gateway.policies.builtin.routing import join_target, split_url
from apim_gateway.upstream import Origin, UpstreamClient
from tests.support.processes import backend_process, free_port
from tests.support.serving import serving

# What the gateway hands its policies, here bound to each test's client.
SERVICES = PolicyServices()


def policy(name: str, **parameters: Any) -> Policy:
    p = REGISTRY[name](parameters)
    p.bind_services(SERVICES)
    return p


def exchange(
    method: str = "POST",
    path: str = "/orders/7",
    query: str = "",
    headers: Headers | None = None,
    body: bytes | None = b"",
    response: GatewayResponse | None = None,
) -> Exchange:
    request = GatewayRequest(method, path, query, headers if headers is not None else [], "10.0.0.1", body)
    auth = AuthContext(subscriber="bob@carbon.super", application_id="app-1", auth_type="oauth2")
    return Exchange(
        request, "carbon.super", "api-1", "/shop", "1.0.0", "/orders/{id}", auth=auth, response=response
    )


@pytest.fixture(scope="module")
def backend_port() -> Iterator[int]:
    with backend_process() as port:
        yield port


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    c = UpstreamClient(connect_timeout=5.0)  # loaded CI machines stall event loops for over a second
    SERVICES.bind(c)
    yield c
    await SERVICES.drain()
    SERVICES.bind(None)
    await c.aclose()


@dataclass
class Interceptor:
    """An interceptor service: records each call and answers what the test set for its path."""

    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        self.calls.append((scope["path"], json.loads(raw) if raw else {}))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers.get(scope["path"], {})
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def interceptor() -> AsyncIterator[Interceptor]:
    service = Interceptor()
    async with serving(
        service.app, log_level="warning", ws="none", access_log=False, interface="asgi3"
    ) as port:
        service.url = f"http://127.0.0.1:{port}/interceptors"
        yield service


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ---- mirrorRequest


async def test_mirror_request_sends_a_copy_of_the_request_to_the_mirror_url(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    p = policy("mirrorRequest", url=interceptor.url.replace("/interceptors", "/mirror"))
    ex = exchange(
        query="a=1", headers=[("content-type", "application/json"), ("x-trace", "t1")], body=b'{"n": 1}'
    )
    assert await p.on_request(ex) is None
    await SERVICES.drain()
    ((path, body),) = interceptor.calls
    assert path == "/mirror/orders/7"
    assert body == {"n": 1}


async def test_mirror_request_does_not_wait_for_a_slow_mirror(
    client: UpstreamClient, backend_port: int
) -> None:
    p = policy("mirrorRequest", url=f"http://127.0.0.1:{backend_port}")
    ex = exchange(method="GET", path="/slow", query="s=0.6", body=b"")
    started = time.monotonic()
    assert await p.on_request(ex) is None
    assert time.monotonic() - started < 0.3
    await SERVICES.drain()
    # The copy was answered: its connection went back to the pool of the mirror's origin.
    assert len(client._pools[Origin.of("http", "127.0.0.1", backend_port)].idle) == 1


async def test_mirror_request_to_an_unreachable_url_never_fails_the_request(client: UpstreamClient) -> None:
    p = policy("mirrorRequest", url=f"http://127.0.0.1:{free_port()}/down")
    ex = exchange()
    assert await p.on_request(ex) is None
    await SERVICES.drain()
    assert ex.request.path == "/orders/7"


async def test_mirror_request_copies_the_request_as_it_was_when_the_policy_ran(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    p = policy("mirrorRequest", url=interceptor.url)
    ex = exchange(body=b'{"v": "original"}')
    await p.on_request(ex)
    ex.request.path = "/changed-later"
    ex.request.body = b'{"v": "changed"}'
    await SERVICES.drain()
    ((path, body),) = interceptor.calls
    assert (path, body) == ("/interceptors/orders/7", {"v": "original"})


# ---- redirectRequest


async def test_redirect_request_points_the_exchange_at_a_target_that_serves_it(
    client: UpstreamClient, backend_port: int
) -> None:
    url = f"http://127.0.0.1:{backend_port}/echo/v2"
    ex = exchange(method="GET", query="x=1")
    assert await policy("redirectRequest", url=url).on_request(ex) is None
    assert ex.variables["redirect_url"] == url
    # What the request path does with it: the URL replaces the endpoint, path and query joined on.
    origin, base_path = split_url(ex.variables["redirect_url"])
    target = join_target(base_path, ex.request.path, ex.request.query)
    response = await client.request(origin, b"GET", target, [])
    echoed = json.loads(await response.read())
    assert (echoed["path"], echoed["query"]) == ("/echo/v2/orders/7", "x=1")


# ---- callInterceptorService


async def test_interceptor_receives_wso2s_request_payload(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    ex = exchange(headers=[("content-type", "text/plain"), ("x-a", "1"), ("x-a", "2")], body=b"hello")
    assert await p.on_request(ex) is None
    ((path, payload),) = interceptor.calls
    assert path == "/interceptors/api/v1/handle-request"
    assert payload["requestHeaders"] == {"content-type": "text/plain", "x-a": "1,2"}
    assert base64.b64decode(payload["requestBody"]) == b"hello"
    context = payload["invocationContext"]
    assert (context["method"], context["path"], context["basePath"]) == ("POST", "/orders/7", "/shop")
    assert context["authenticationContext"]["subscriber"] == "bob@carbon.super"
    assert payload["interceptorContext"] == {}


async def test_interceptor_sends_only_the_included_parts(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url, includes="request_headers")
    assert p.needs_request_body is False
    await p.on_request(exchange(headers=[("x-a", "1")]))
    ((_, payload),) = interceptor.calls
    assert payload == {"requestHeaders": {"x-a": "1"}}


async def test_interceptor_answer_changes_the_request_headers_and_body(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = {
        "headersToAdd": {"X-Added": "yes"},
        "headersToReplace": {"content-type": "application/json"},
        "headersToRemove": ["x-secret"],
        "body": b64(b'{"rewritten": true}'),
        "interceptorContext": {"seen": "1"},
    }
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    ex = exchange(
        headers=[("content-type", "text/plain"), ("x-secret", "s"), ("content-length", "5")], body=b"hello"
    )
    assert await p.on_request(ex) is None
    assert ex.request.body == b'{"rewritten": true}'
    assert sorted(ex.request.headers) == [("content-type", "application/json"), ("x-added", "yes")]
    assert ex.variables["interceptor_context"] == {"seen": "1"}


async def test_interceptor_can_answer_the_client_directly(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = {
        "directRespond": True,
        "responseCode": 401,
        "headersToAdd": {"www-authenticate": "Custom"},
        "body": b64(b"go away"),
    }
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    reply = await p.on_request(exchange())
    assert reply == Reply(401, [("www-authenticate", "Custom")], b"go away")


async def test_interceptor_changes_the_response_and_gets_the_request_context(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-response"] = {
        "responseCode": 201,
        "headersToReplace": {"x-backend": "hidden"},
        "body": b64(b"new body"),
    }
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    response = GatewayResponse(200, [("x-backend", "node-3"), ("content-length", "3")], b"old")
    ex = exchange(response=response)
    ex.variables["interceptor_context"] = {"seen": "1"}
    await p.on_response(ex)
    ((path, payload),) = interceptor.calls
    assert path == "/interceptors/api/v1/handle-response"
    assert payload["responseCode"] == 200
    assert base64.b64decode(payload["responseBody"]) == b"old"
    assert payload["interceptorContext"] == {"seen": "1"}
    assert (response.status, response.body) == (201, b"new body")
    assert response.headers == [("x-backend", "hidden")]


async def test_interceptor_that_answers_an_error_status_fails_the_request(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.status = 503
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    with pytest.raises(PolicyRefusal) as refused:
        await p.on_request(exchange())
    assert (refused.value.status, refused.value.code) == (500, "101500")


async def test_interceptor_with_a_malformed_answer_fails_the_request(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = {"body": "***not base64***"}
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    with pytest.raises(PolicyRefusal) as refused:
        await p.on_request(exchange())
    assert refused.value.code == "101500"
    assert "base64" in refused.value.description


async def test_interceptor_that_is_too_slow_fails_the_request_with_101504(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.delay = 0.6
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url, timeout="200")
    started = time.monotonic()
    with pytest.raises(PolicyRefusal) as refused:
        await p.on_request(exchange())
    assert time.monotonic() - started < 0.5
    assert (refused.value.status, refused.value.code) == (500, "101504")


async def test_interceptor_that_is_unreachable_fails_the_request_with_101503(client: UpstreamClient) -> None:
    p = policy("callInterceptorService", interceptorServiceURL=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PolicyRefusal) as refused:
        await p.on_request(exchange())
    assert (refused.value.status, refused.value.code) == (500, "101503")


async def test_interceptor_answer_outside_the_contract_from_the_real_backend_fails_the_request(
    client: UpstreamClient, backend_port: int
) -> None:
    # /echo answers the call as JSON whose "body" is the payload text, not base64: not a contract answer.
    p = policy("callInterceptorService", interceptorServiceURL=f"http://127.0.0.1:{backend_port}/echo")
    ex = exchange(headers=[("x-a", "1")], body=b"same")
    with pytest.raises(PolicyRefusal) as refused:
        await p.on_request(ex)
    assert refused.value.code == "101500"
    assert (ex.request.headers, ex.request.body) == ([("x-a", "1")], b"same")


async def test_interceptor_with_an_empty_answer_changes_nothing(
    client: UpstreamClient, interceptor: Interceptor
) -> None:
    interceptor.answers["/interceptors/api/v1/handle-request"] = b""
    p = policy("callInterceptorService", interceptorServiceURL=interceptor.url)
    ex = exchange(headers=[("x-a", "1")], body=b"same")
    assert await p.on_request(ex) is None
    assert (ex.request.headers, ex.request.body) == ([("x-a", "1")], b"same")
    assert len(interceptor.calls) == 1
