"""The plain-ASGI front of POST /oauth2/token and /oauth2/introspect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from apim_key_manager.oauth.asgi import OAuthFront
from apim_key_manager.oauth.forms import MAX_FORM_BYTES
from tests.key_manager.conftest import KeyManagerClient, basic

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_token_requests_are_served_before_fastapi_routes_them(km: KeyManagerClient) -> None:
    client = await km.register()
    r = await km.token(client, grant_type="client_credentials")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "application/json"
    assert isinstance(km.app.middleware_stack, OAuthFront)


async def test_another_method_on_the_token_path_is_fastapis_405(km: KeyManagerClient) -> None:
    r = await km.http.get("/oauth2/token")
    assert r.status_code == 405


async def test_a_body_streamed_past_the_limit_is_400_invalid_request(km: KeyManagerClient) -> None:
    client = await km.register()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"grant_type=client_credentials&pad="
        for _ in range(MAX_FORM_BYTES // 1024 + 1):
            yield b"a" * 1024

    r = await km.http.post(
        "/oauth2/token",
        content=chunks(),
        headers={
            **basic(client["clientId"], client["clientSecret"]),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": "The body is too large"}


async def test_an_introspection_answers_through_the_front(km: KeyManagerClient) -> None:
    client = await km.register()
    access = (await km.token(client, grant_type="client_credentials")).json()["access_token"]
    r = await km.http.post(
        "/oauth2/introspect",
        data={"token": access},
        headers=basic(client["clientId"], client["clientSecret"]),
    )
    assert r.status_code == 200
    assert r.json()["active"] is True


@pytest.mark.parametrize("path", ["/oauth2/token", "/oauth2/introspect"])
async def test_with_spans_exported_each_request_makes_one_server_span_in_the_callers_trace(
    km: KeyManagerClient, path: str
) -> None:
    client = await km.register()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    front = OAuthFront(km.app, km.app.middleware_stack, tracer=provider.get_tracer("test"))
    transport = httpx.ASGITransport(app=front)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        r = await http.post(
            path,
            data={"grant_type": "client_credentials", "token": "x"},
            headers={
                **basic(client["clientId"], client["clientSecret"]),
                "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
            },
        )
    assert r.status_code == 200
    spans = exporter.get_finished_spans()
    assert len(spans) == 1
    (span,) = spans
    assert span.kind is SpanKind.SERVER
    assert span.name == f"POST {path}"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200


async def test_the_opentelemetry_middleware_stays_on_the_app_chain_behind_the_front(
    km: KeyManagerClient,
) -> None:
    # FastAPI traces every request itself unless it finds the instrumentation's middleware there.
    await km.http.get("/health")
    stack, names = km.app.middleware_stack, []
    while stack is not None:
        names.append(type(stack).__name__)
        stack = getattr(stack, "app", None)
    assert names[0] == "OAuthFront"
    assert "OpenTelemetryMiddleware" in names


async def test_the_front_counts_its_answers_in_the_services_request_metrics(km: KeyManagerClient) -> None:
    def served(status: str) -> float:
        value = REGISTRY.get_sample_value(
            "apim_http_requests_total", {"service": "key-manager", "method": "POST", "status": status}
        )
        return value or 0.0

    client = await km.register()
    ok, unauthorized = served("200"), served("401")
    await km.token(client, grant_type="client_credentials")
    await km.token({**client, "clientSecret": "wrong"}, grant_type="client_credentials")
    assert served("200") == ok + 1
    assert served("401") == unauthorized + 1
