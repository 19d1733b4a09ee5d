"""The Developer Portal API app factory."""

from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_devportal.models import metadata, outbox
from apim_devportal.settings import Settings

PREFIXES = ("/api/am/devportal/v3",)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="devportal",
        title="Developer Portal API",
        prefixes=PREFIXES,
        package="apim_devportal",
        metadata=metadata,
        outbox=outbox,
    )
    return build_service_app(spec, settings or Settings(), bus=bus)
