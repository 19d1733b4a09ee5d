"""The Developer Portal API app factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_common.revocations import revocation_tracking
from apim_devportal.apichat import service as api_chat
from apim_devportal.apichat.endpoints import router as api_chat_router
from apim_devportal.applications.endpoints import router as applications
from apim_devportal.assistant import service as assistant
from apim_devportal.assistant.endpoints import router as marketplace_assistant
from apim_devportal.catalog.endpoints import router as catalog
from apim_devportal.catalog.search import SearchIndex
from apim_devportal.consumers import consuming
from apim_devportal.deps import PREFIX
from apim_devportal.feedback.endpoints import router as feedback
from apim_devportal.feedback.internal import router as internal_comments
from apim_devportal.internal.endpoints import router as internal
from apim_devportal.key_managers.endpoints import router as key_managers
from apim_devportal.keys.client import KeyManagerClient
from apim_devportal.keys.endpoints import router as keys
from apim_devportal.me.endpoints import router as me
from apim_devportal.models import metadata, outbox
from apim_devportal.portal.endpoints import router as portal
from apim_devportal.sdkgen import service as sdkgen
from apim_devportal.sdkgen.endpoints import router as sdks
from apim_devportal.settings import Settings
from apim_devportal.subscriptions.endpoints import router as subscriptions
from apim_devportal.tenant_path import TenantPathMiddleware
from apim_devportal.tenants.endpoints import router as tenants
from apim_devportal.throttling.endpoints import router as throttling
from apim_devportal.webhooks.endpoints import router as webhooks

PREFIXES = (PREFIX,)


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for domain in (
        catalog,
        marketplace_assistant,
        api_chat_router,
        feedback,
        applications,
        keys,
        subscriptions,
        webhooks,
        throttling,
        key_managers,
        tenants,
        portal,
        internal,
        internal_comments,
        me,
        sdks,
    ):
        router.include_router(domain)
    return router


# Composed once per process, as the publisher's: every app built from it reuses FastAPI's analysis.
ROUTER = api_router()


@contextlib.asynccontextmanager
async def clients(app: FastAPI) -> AsyncIterator[None]:
    """The key manager's client and the search index, made once per app."""
    settings: Settings = app.state.settings
    app.state.key_manager = KeyManagerClient(app.state, settings.key_manager_url, settings.secret())
    app.state.search_index = SearchIndex()
    yield


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="devportal",
        title="Developer Portal API",
        prefixes=PREFIXES,
        routers=[ROUTER],
        package="apim_devportal",
        metadata=metadata,
        outbox=outbox,
        extensions=[
            revocation_tracking,
            clients,
            assistant.lifespan,
            api_chat.lifespan,
            sdkgen.lifespan,
            consuming,
        ],
    )
    app = build_service_app(spec, settings or Settings(), bus=bus)
    app.add_middleware(TenantPathMiddleware, prefix=PREFIX)
    return app
