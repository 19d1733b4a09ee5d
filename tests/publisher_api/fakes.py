"""A stand-in for devportal-api's, the key manager's and admin-api's internal endpoints, recording
each call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class FakeServices:
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/oauth2/token")
        async def token(request: Request) -> dict[str, Any]:
            form = await request.form()
            self.calls.append(("POST", "/oauth2/token", dict(request.query_params), str(form.get("scope"))))
            return {"access_token": "service-token", "expires_in": 3600, "token_type": "Bearer"}

        @app.get("/api/am/devportal/v3/internal/subscriptions")
        async def listing(request: Request, apiId: str) -> dict[str, Any]:
            self.calls.append(
                ("GET", request.url.path, dict(request.query_params), request.headers["authorization"])
            )
            found = self.subscriptions.get(apiId, [])
            return {"count": len(found), "list": found, "pagination": {"total": len(found)}}

        @app.post("/api/am/devportal/v3/internal/subscriptions/{subscriptionId}/{action}")
        async def block(request: Request, subscriptionId: str, action: str) -> dict[str, Any]:
            self.calls.append(
                ("POST", request.url.path, dict(request.query_params), request.headers["authorization"])
            )
            for found in self.subscriptions.values():
                for subscription in found:
                    if subscription["subscriptionId"] == subscriptionId:
                        subscription["status"] = request.query_params.get("blockState", "UNBLOCKED")
                        return subscription
            return {}

        @app.post("/api/am/keymanager/v1/internal/api-keys")
        async def api_key(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.calls.append(("POST", request.url.path, {}, request.headers["authorization"]))
            return {
                "apikey": f"key-for-{body['subscribedAPIs'][0]['name']}",
                "validityTime": body["validityPeriod"],
            }

        @app.get("/api/am/admin/v4/internal/monetization/usage")
        async def billed_usage(request: Request, subscriptionId: str) -> JSONResponse:
            self.calls.append(
                ("GET", request.url.path, dict(request.query_params), request.headers["authorization"])
            )
            description = f"Subscription '{subscriptionId}' has no billed usage"
            return JSONResponse({"code": 404, "message": "Not Found", "description": description}, 404)

        @app.head("/backend/up")
        async def up() -> dict[str, str]:
            return {}

        return app

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app()))
