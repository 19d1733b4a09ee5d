"""Bootstrap data every tenant starts with, made idempotently: running it again adds nothing."""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.environments import service as environments
from apim_admin.key_managers import service as key_managers
from apim_admin.models import processed_events
from apim_admin.scopes import SUPER_TENANT
from apim_admin.system_scopes import service as system_scopes
from apim_admin.tenant_config import service as tenant_config
from apim_admin.tenants.models import Tenant
from apim_admin.throttling import service as throttling
from apim_admin.usage import service as usage
from apim_admin.workflows import service as workflows
from apim_common.db import Database
from apim_common.events.bus import EventBus
from apim_common.events.consumer import idempotent
from apim_common.events.topics import Topic
from apim_common.settings import ServiceSettings

logger = logging.getLogger(__name__)


async def seed_tenant(session: AsyncSession, tenant: str, settings: ServiceSettings) -> None:
    await throttling.seed(session, tenant)
    await environments.seed(session, tenant)
    await key_managers.seed(session, tenant, settings.key_manager_url, settings.token_issuer)
    await tenant_config.seed(session, tenant)
    await system_scopes.seed(session, tenant)


async def seed_all(database: Database, settings: ServiceSettings) -> None:
    async with database.session() as session:
        tenants = [SUPER_TENANT, *(await session.scalars(select(Tenant.domain)))]
    for tenant in tenants:
        try:
            async with database.session() as session, session.begin():
                await seed_tenant(session, tenant, settings)
        except IntegrityError:
            # Another replica seeded the same tenant at the same moment; its rows stand.
            logger.info("defaults of tenant %s were made by another instance", tenant)


def subscribe(bus: EventBus, database: Database) -> None:
    bus.subscribe(
        [Topic.APIS, Topic.APPLICATIONS, Topic.SUBSCRIPTIONS, Topic.KEYS],
        "admin-usage",
        idempotent(database, processed_events, "admin-usage", usage.apply_event),
    )
    bus.subscribe(
        [Topic.WORKFLOWS],
        "admin-workflows",
        idempotent(database, processed_events, "admin-workflows", workflows.on_event),
    )


@contextlib.asynccontextmanager
async def bootstrap(app: FastAPI) -> AsyncIterator[None]:
    """Seed the defaults, then start following the other services' events."""
    await seed_all(app.state.database, app.state.settings)
    subscribe(app.state.bus, app.state.database)
    yield
