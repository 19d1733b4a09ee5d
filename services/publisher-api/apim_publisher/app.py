"""The Publisher API app factory."""

from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_publisher.models import metadata, outbox
from apim_publisher.settings import Settings

PREFIXES = ("/api/am/publisher/v4",)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="publisher",
        title="Publisher API",
        prefixes=PREFIXES,
        package="apim_publisher",
        metadata=metadata,
        outbox=outbox,
    )
    return build_service_app(spec, settings or Settings(), bus=bus)
