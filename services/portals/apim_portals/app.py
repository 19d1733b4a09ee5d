"""The portals app factory: one FastAPI app serving /devportal, /publisher and /admin."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from apim_common import crypto_policy
from apim_common.telemetry import instrument, metrics_listener
from apim_portals import auth
from apim_portals.admin import pages as admin_pages
from apim_portals.analytics import pages as analytics_pages
from apim_portals.client import Platform
from apim_portals.devportal import assistant, graphql, pages, tryit
from apim_portals.publisher import pages as publisher_pages
from apim_portals.security import SecurityHeaders
from apim_portals.sessions import SessionStore
from apim_portals.settings import Settings
from apim_portals.web import CsrfFailed, SignInRequired, templates

PREFIXES = ("/devportal", "/publisher", "/admin")
STATIC = Path(str(files("apim_portals") / "static"))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    crypto = crypto_policy.activate(settings.crypto_provider)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if settings.metrics_port is not None:
                metrics = await stack.enter_async_context(
                    metrics_listener(settings.metrics_host, settings.metrics_port)
                )
                app.state.metrics_port = metrics.sockets[0].getsockname()[1]
            http = await stack.enter_async_context(
                httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), verify=crypto.httpx_verify())
            )
            app.state.platform = Platform(http, settings)
            yield

    app = FastAPI(title="Portals", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.sessions = SessionStore(
        settings.session_ttl, settings.max_sessions, settings.max_pending_sign_ins
    )
    app.state.service_name = "portals"
    app.state.path_prefixes = PREFIXES

    async def health() -> JSONResponse:
        return JSONResponse(
            {"status": "UP", "service": "portals", "cryptoProvider": str(settings.crypto_provider)}
        )

    app.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    for prefix in PREFIXES:
        app.add_api_route(f"{prefix}/health", health, methods=["GET"], include_in_schema=False)
        app.mount(f"{prefix}/static", StaticFiles(directory=STATIC), name=f"{prefix[1:]}-static")
    # Before the portals' own pages: the Admin portal's /admin/{section} would take /admin/analytics.
    for router in analytics_pages.routers:
        app.include_router(router)
    for router in (*auth.routers, pages.router, graphql.router, tryit.router, assistant.router):
        app.include_router(router)
    app.include_router(publisher_pages.router)
    app.include_router(admin_pages.router)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        target = f"/{exc.portal}/auth/login?{httpx.QueryParams({'return_to': exc.return_to})}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def csrf_failed(_: Request, __: Exception) -> Response:
        body = templates.get_template("forbidden.html").render(base="/devportal", portal="devportal")
        return HTMLResponse(body, status_code=403)

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)

    app.add_middleware(SecurityHeaders)
    instrument(app, "portals")
    return app
