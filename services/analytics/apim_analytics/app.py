"""The analytics app factory: the ``analytics`` topic's consumer and the query API over its rollups."""

from __future__ import annotations

from fastapi import FastAPI

from apim_analytics.base import metadata
from apim_analytics.query.endpoints import router as query_router
from apim_analytics.rollups.consumer import rollups
from apim_analytics.settings import Settings
from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_common.revocations import revocation_tracking

PREFIXES = ("/api/am/analytics/v1",)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    settings = settings or Settings()
    spec = ServiceSpec(
        name="analytics",
        title="Analytics",
        prefixes=PREFIXES,
        routers=[query_router],
        package="apim_analytics",
        metadata=metadata,
        extensions=[revocation_tracking, rollups],
    )
    return build_service_app(spec, settings, bus=bus)
