"""The Admin API app factory."""

from fastapi import FastAPI

from apim_admin.alerts.endpoints import router as alerts
from apim_admin.bootstrap import bootstrap
from apim_admin.botdetection.consumer import bot_detection
from apim_admin.botdetection.endpoints import router as bot_detection_data
from apim_admin.categories.endpoints import router as categories
from apim_admin.deny_policies.endpoints import router as deny_policies
from apim_admin.environments.endpoints import router as environments
from apim_admin.key_managers.endpoints import router as key_managers
from apim_admin.models import metadata, outbox
from apim_admin.monetization.endpoints import internal_router as internal_monetization
from apim_admin.monetization.endpoints import router as monetization
from apim_admin.monetization.runner import monetization as monetization_publisher
from apim_admin.ownership.endpoints import router as ownership
from apim_admin.roles.endpoints import router as roles
from apim_admin.settings import Settings
from apim_admin.settings_info.endpoints import router as settings_info
from apim_admin.snapshot.endpoints import router as snapshot
from apim_admin.system_scopes.endpoints import router as system_scopes
from apim_admin.tenant_config.endpoints import router as tenant_config
from apim_admin.tenant_theme.endpoints import router as tenant_theme
from apim_admin.tenants.endpoints import router as tenants
from apim_admin.throttling.endpoints import router as throttling
from apim_admin.workflows.endpoints import internal_router as internal_workflows
from apim_admin.workflows.endpoints import router as workflows
from apim_common.app import ServiceSpec, build_service_app
from apim_common.events.bus import EventBus
from apim_common.revocations import revocation_tracking

PREFIXES = ("/api/am/admin/v4",)

ROUTERS = (
    throttling,
    deny_policies,
    environments,
    key_managers,
    tenant_config,
    workflows,
    internal_workflows,
    system_scopes,
    tenants,
    categories,
    ownership,
    roles,
    alerts,
    settings_info,
    tenant_theme,
    snapshot,
    bot_detection_data,
    monetization,
    internal_monetization,
)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="admin",
        title="Admin API",
        prefixes=PREFIXES,
        routers=ROUTERS,
        package="apim_admin",
        metadata=metadata,
        outbox=outbox,
        extensions=[revocation_tracking, bootstrap, monetization_publisher, bot_detection],
    )
    return build_service_app(spec, settings or Settings(), bus=bus)
