"""The admin service's usage publisher with the analytics service beside it: calls recorded through
the analytics service's own consumer, subscriptions announced on the admin's bus, priced tiers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from apim_analytics.app import create_app as create_analytics
from apim_analytics.settings import Settings as AnalyticsSettings
from apim_common.events import InProcessBus
from apim_common.events.topics import Topic
from apim_common.security import INTERNAL_SCOPE
from apim_common.service_auth import INTERNAL_CLIENT_ID
from tests.admin_api.harness import Admin, running_admin
from tests.analytics.support import T0, request_event
from tests.support.apps import running_service
from tests.support.tokens import TokenFactory

# May 2026, holding T0 (2026-05-28T20:30Z): one monthly cycle starts in it.
MAY = {"from": "2026-05-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
PUBLISH = "apim:monetization_usage_publish"


def per_minute(count: int) -> dict[str, Any]:
    return {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": count},
    }


def tier(name: str, plan: str, **properties: str) -> dict[str, Any]:
    return {
        "policyName": name,
        "defaultLimit": per_minute(100),
        "billingPlan": "COMMERCIAL",
        "monetization": {"monetizationPlan": plan, "properties": properties},
    }


def token_endpoint(tokens: TokenFactory) -> FastAPI:
    """The key manager's token endpoint, issuing real service tokens (which services verify)."""
    key_manager = FastAPI()

    @key_manager.post("/oauth2/token")
    async def token() -> JSONResponse:
        access = tokens.mint(INTERNAL_CLIENT_ID, INTERNAL_SCOPE, client_id=INTERNAL_CLIENT_ID)
        return JSONResponse({"access_token": access, "expires_in": 3600, "token_type": "Bearer"})

    return key_manager


def routes(tokens: TokenFactory, analytics: Any) -> httpx.AsyncClient:
    """The admin's HTTP client: the analytics service as it is, and the token endpoint."""
    key_manager = token_endpoint(tokens)

    async def route(scope: Any, receive: Any, send: Any) -> None:
        host = dict(scope["headers"])[b"host"].decode().split(":")[0]
        await (analytics if host == "analytics" else key_manager)(scope, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=route))


@dataclass
class Billing:
    admin: Admin
    analytics_bus: InProcessBus

    async def calls(self, count: int, api_id: str, app_id: str, tenant: str = "carbon.super") -> None:
        for n in range(count):
            event = request_event(at=T0 + n, apiId=api_id, applicationId=app_id, tenant=tenant)
            await self.analytics_bus.publish(str(Topic.ANALYTICS), event)
        await self.analytics_bus.drain()

    async def subscribe(
        self, sub_id: str, api_id: str, app_id: str, tier_name: str, tenant: str = "carbon.super"
    ) -> None:
        data = {
            "subscriptionId": sub_id,
            "apiId": api_id,
            "applicationId": app_id,
            "apiInfo": {"name": f"API {api_id}", "version": "1.0.0"},
            "applicationInfo": {"name": f"App {app_id}", "owner": "bob"},
            "throttlingPolicy": tier_name,
            "status": "UNBLOCKED",
        }
        await self.admin.publish(
            str(Topic.SUBSCRIPTIONS), "subscription.created", sub_id, data, tenant=tenant
        )

    async def publish_and_wait(self, params: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        started = await self.admin.post("/monetization/publish-usage", params=params or MAY, **kwargs)
        assert started.status_code == 202, started.text
        await self.admin.app.state.usage_publisher.wait()
        status = await self.admin.get("/monetization/publish-usage/status", **kwargs)
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        return body


async def priced_tiers(admin: Admin) -> None:
    metered = tier("Metered", "DYNAMICRATE", pricePerRequest="0.05", currencyType="eur")
    flat = tier("Flat", "FIXEDRATE", fixedPrice="10", billingCycle="month")
    for body in (metered, flat):
        created = await admin.post("/throttling/policies/subscription", json=body)
        assert created.status_code == 201, created.text


@contextlib.asynccontextmanager
async def running_billing(tokens: TokenFactory, folder: Path) -> AsyncIterator[Billing]:
    """An admin and an analytics service; the admin reads the analytics service's rollups, and
    its subscription tiers Metered (0.05 EUR a call) and Flat (10 USD a month) are priced."""
    bus = InProcessBus()
    settings = AnalyticsSettings(mode="development", database_url=f"sqlite+aiosqlite:///{folder / 'a.db'}")
    async with (
        running_admin(tokens, f"sqlite+aiosqlite:///{folder / 'admin.db'}") as admin,
        running_service(create_analytics, settings, tokens, bus=bus) as (analytics, _),
    ):
        await bus.start()
        state = admin.app.state
        state.settings = state.settings.model_copy(update={"analytics_url": "http://analytics"})
        await state.http.aclose()
        state.http = routes(tokens, analytics)
        await priced_tiers(admin)
        try:
            yield Billing(admin, bus)
        finally:
            await bus.stop()
            await state.http.aclose()
