"""The Admin API app factory."""

from fastapi import FastAPI

from apim_admin.models import metadata, outbox
from apim_admin.settings import Settings
from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus

PREFIXES = ("/api/am/admin/v4",)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="admin",
        title="Admin API",
        prefixes=PREFIXES,
        package="apim_admin",
        metadata=metadata,
        outbox=outbox,
    )
    return build_service_app(spec, settings or Settings(), bus=bus)
