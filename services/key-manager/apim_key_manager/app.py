"""The Key Manager app factory."""

from fastapi import FastAPI

from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_key_manager.apikeys.endpoints import router as api_keys_router
from apim_key_manager.authorize.endpoints import router as authorize_router
from apim_key_manager.clients.endpoints import internal as internal_clients_router
from apim_key_manager.clients.endpoints import router as dcr_router
from apim_key_manager.keys.endpoints import router as keys_router
from apim_key_manager.models import metadata, outbox
from apim_key_manager.oauth.asgi import install as oauth_front_install
from apim_key_manager.oauth.endpoints import router as oauth_router
from apim_key_manager.oauth.errors import OAuth2Error, oauth_error_response
from apim_key_manager.revocation.endpoints import router as revocations_router
from apim_key_manager.runtime import key_manager_runtime
from apim_key_manager.settings import Settings
from apim_key_manager.tenants.endpoints import router as tenants_router
from apim_key_manager.users.basic_auth import router as basic_auth_router
from apim_key_manager.users.endpoints import router as scim_router
from apim_key_manager.users.internal import roles_router as internal_roles_router
from apim_key_manager.users.internal import router as internal_users_router
from apim_key_manager.users.lockout import install_sign_in_guard
from apim_key_manager.users.scim import install_scim_errors

PREFIXES = ("/oauth2", "/.well-known", "/scim2", "/client-registration", "/api/am/keymanager/v1")


def create_app(
    settings: Settings | None = None, *, bus: EventBus | None = None, oauth_front: bool = True
) -> FastAPI:
    """``oauth_front``: POST /oauth2/token and /oauth2/introspect served as plain ASGI before FastAPI
    routes anything (off only to measure what it saves)."""
    spec = ServiceSpec(
        name="key-manager",
        title="Key Manager",
        prefixes=PREFIXES,
        routers=[
            oauth_router,
            authorize_router,
            keys_router,
            dcr_router,
            scim_router,
            internal_clients_router,
            tenants_router,
            revocations_router,
            api_keys_router,
            basic_auth_router,
            internal_users_router,
            internal_roles_router,
        ],
        package="apim_key_manager",
        metadata=metadata,
        outbox=outbox,
        extensions=[key_manager_runtime],
    )
    app = build_service_app(spec, settings or Settings(), bus=bus)
    app.add_exception_handler(OAuth2Error, oauth_error_response)
    install_scim_errors(app)
    install_sign_in_guard(app)
    if oauth_front:
        oauth_front_install(app)
    return app
