"""What this service learns from the others' events; each consumer applies an event id once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.db import Database
from apim_common.events.bus import BatchHandler
from apim_common.events.consumer import SessionHandler, claim_new, idempotent
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic
from apim_devportal.base import processed_events
from apim_devportal.catalog import service as catalog
from apim_devportal.catalog.search import SearchIndex
from apim_devportal.key_managers import service as key_managers
from apim_devportal.subscriptions import service as subscriptions
from apim_devportal.tenants import service as tenants
from apim_devportal.throttling import service as tiers
from apim_devportal.webhooks import service as webhooks
from apim_devportal.workflows import consumer as workflows


def catalog_handler(index: SearchIndex) -> SessionHandler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        if event.type.startswith("api-category."):
            await catalog.on_category_event(session, event)
        elif event.type.startswith("deployment."):
            await catalog.on_deployment_event(session, event, index)
        elif event.type.startswith("document."):
            await catalog.on_document_event(session, event)
        elif event.type.startswith(("api.", "api-product.")):
            for api_id in await catalog.on_api_event(session, event, index):
                await subscriptions.remove_for_api(session, api_id)

    return handle


CATALOG_GROUP = "devportal-catalog"
# Events of the catalog's topics applied in one transaction (and one offset commit): a publisher
# deploying and publishing many APIs at once sends four events for each.
CATALOG_BATCH = 500


def catalog_batches(database: Database, index: SearchIndex) -> BatchHandler:
    """The catalog's events a run at a time, each event id applied once, all in one transaction."""
    apply = catalog_handler(index)

    async def handle(events: Sequence[CloudEvent]) -> None:
        async with database.session() as session, session.begin():
            new = await claim_new(session, processed_events, CATALOG_GROUP, [e.id for e in events])
            for event in events:
                if event.id in new:
                    new.discard(event.id)
                    await apply(session, event)

    return handle


@contextlib.asynccontextmanager
async def consuming(app: FastAPI) -> AsyncIterator[None]:
    """Subscribe the consumers on the app's bus (started after the extensions)."""
    database: Database = app.state.database
    bus = app.state.bus
    index: SearchIndex = app.state.search_index
    bus.subscribe_batch(
        [str(t) for t in (Topic.APIS, Topic.DEPLOYMENTS, Topic.API_CATEGORIES)],
        CATALOG_GROUP,
        catalog_batches(database, index),
        max_events=CATALOG_BATCH,
    )
    groups: list[tuple[str, list[str], SessionHandler]] = [
        ("devportal-tiers", [Topic.THROTTLE_POLICIES], tiers.on_event),
        ("devportal-key-managers", [Topic.KEY_MANAGERS], key_managers.on_event),
        ("devportal-tenants", [Topic.TENANTS], tenants.on_event),
        ("devportal-workflows", [Topic.WORKFLOWS], workflows.on_event),
        ("devportal-webhooks", [Topic.WEBHOOK_SUBSCRIPTIONS], webhooks.on_event),
    ]
    for group, topics, handler in groups:
        bus.subscribe([str(t) for t in topics], group, idempotent(database, processed_events, group, handler))
    yield
