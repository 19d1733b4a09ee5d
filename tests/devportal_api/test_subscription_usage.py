"""GET /subscriptions/{subscriptionId}/usage: the subscription's calls, read from the analytics rollups
by a service-to-service call to the analytics service's query API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from apim_analytics.app import create_app as create_analytics
from apim_analytics.settings import Settings as AnalyticsSettings
from apim_common.events import InProcessBus
from apim_common.events.topics import Topic
from apim_common.security import INTERNAL_SCOPE
from apim_common.service_auth import INTERNAL_CLIENT_ID
from tests.analytics.support import T0, request_event
from tests.devportal_api.conftest import BASE, Portal
from tests.devportal_api.helpers import create_app, subscribe
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

RANGE = {
    "from": datetime.fromtimestamp(T0, UTC).isoformat(),
    "to": datetime.fromtimestamp(T0 + 3 * 3600, UTC).isoformat(),
}


def _routes(portal: Portal, tokens: TokenFactory, analytics: Any) -> httpx.AsyncClient:
    """The devportal's HTTP client: the analytics service as it is, the key manager's token
    endpoint issuing a real service token (which the analytics service verifies), and the test's
    key manager for the rest."""
    key_manager = FastAPI()

    @key_manager.post("/oauth2/token")
    async def token() -> JSONResponse:
        access = tokens.mint(INTERNAL_CLIENT_ID, INTERNAL_SCOPE, client_id=INTERNAL_CLIENT_ID)
        return JSONResponse({"access_token": access, "expires_in": 3600, "token_type": "Bearer"})

    key_manager.mount("/", portal.key_manager.app(tokens))
    services = {"analytics": analytics, "key-manager": key_manager}

    async def route(scope: Any, receive: Any, send: Any) -> None:
        host = dict(scope["headers"])[b"host"].decode().split(":")[0]
        await services[host](scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=route))


@pytest.fixture
async def usage(portal: Portal, tokens: TokenFactory, tmp_path: Path) -> AsyncIterator[InProcessBus]:
    """The analytics service running beside the portal, named by the portal's settings; its bus."""
    bus = InProcessBus()
    settings = AnalyticsSettings(mode="development", database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    async with running_service(create_analytics, settings, tokens, bus=bus) as (analytics, _):
        await bus.start()
        state = portal.app.state
        original_settings, original_http = state.settings, state.http
        state.settings = original_settings.model_copy(update={"analytics_url": "http://analytics"})
        state.http = _routes(portal, tokens, analytics)
        try:
            yield bus
        finally:
            await state.http.aclose()
            state.settings, state.http = original_settings, original_http
            await bus.stop()


async def _subscription(portal: Portal, owner: str = "alice") -> tuple[str, str, str]:
    headers = portal.headers(owner)
    api = await portal.publish_api(name="Pizza")
    app = await create_app(portal, headers)
    created = await subscribe(portal, headers, app["applicationId"], api["id"])
    assert created.status_code == 201, created.text
    return created.json()["subscriptionId"], app["applicationId"], api["id"]


async def test_subscription_usage_comes_from_the_rollups(portal: Portal, usage: InProcessBus) -> None:
    subscription_id, app_id, api_id = await _subscription(portal)
    calls = [
        *(
            request_event(at=T0 + n, apiId=api_id, applicationId=app_id, applicationOwner="alice")
            for n in range(3)
        ),
        request_event(at=T0 + 3600, apiId=api_id, applicationId=app_id, applicationOwner="alice"),
        # the same application calling another API, and another application calling this API
        request_event(at=T0 + 5, apiId="other-api", applicationId=app_id, applicationOwner="alice"),
        request_event(at=T0 + 6, apiId=api_id, applicationId="other-app", applicationOwner="bob"),
    ]
    for event in calls:
        await usage.publish(str(Topic.ANALYTICS), event)
    await usage.drain()
    r = await portal.client.get(
        f"{BASE}/subscriptions/{subscription_id}/usage",
        params={**RANGE, "granularity": "hour"},
        headers=portal.headers("alice"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(point["time"], point["requestCount"]) for point in body["list"]] == [
        (datetime.fromtimestamp(T0 // 3600 * 3600, UTC).isoformat().replace("+00:00", "Z"), 3),
        (datetime.fromtimestamp(T0 // 3600 * 3600 + 3600, UTC).isoformat().replace("+00:00", "Z"), 1),
    ]
    assert (body["requestCount"], body["properties"]["requestCount"]) == (4, "4")
    assert (body["subscriptionId"], body["apiId"], body["applicationId"]) == (subscription_id, api_id, app_id)


async def test_another_users_subscription_usage_is_refused(portal: Portal, usage: InProcessBus) -> None:
    subscription_id, app_id, api_id = await _subscription(portal, owner="alice")
    await usage.publish(str(Topic.ANALYTICS), request_event(at=T0, apiId=api_id, applicationId=app_id))
    await usage.drain()
    r = await portal.client.get(
        f"{BASE}/subscriptions/{subscription_id}/usage", params=RANGE, headers=portal.headers("mallory")
    )
    assert r.status_code == 404
    assert "requestCount" not in r.text


async def test_usage_is_404_when_analytics_is_not_deployed(portal: Portal) -> None:
    subscription_id, _, _ = await _subscription(portal)
    r = await portal.client.get(
        f"{BASE}/subscriptions/{subscription_id}/usage", headers=portal.headers("alice")
    )
    assert r.status_code == 404
    assert "Analytics is not deployed" in r.json()["description"]
