"""The throttle-sync app factory."""

from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_throttle_sync.settings import Settings

PREFIXES = ("/api/am/throttle/v1",)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(name="throttle-sync", title="Throttle Sync", prefixes=PREFIXES)
    return build_service_app(spec, settings or Settings(), bus=bus)
