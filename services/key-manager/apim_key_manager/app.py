"""The Key Manager app factory."""

from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_key_manager.models import metadata, outbox
from apim_key_manager.settings import Settings

PREFIXES = ("/oauth2", "/.well-known", "/scim2", "/client-registration", "/api/am/keymanager/v1")


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="key-manager",
        title="Key Manager",
        prefixes=PREFIXES,
        package="apim_key_manager",
        metadata=metadata,
        outbox=outbox,
    )
    return build_service_app(spec, settings or Settings(), bus=bus)
