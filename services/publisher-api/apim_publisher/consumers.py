"""What the publisher learns from other services: tenant workflow settings, environments, decisions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events import CloudEvent, Topic
from apim_common.events.consumer import idempotent
from apim_publisher.base import processed_events
from apim_publisher.catalog import service as catalog
from apim_publisher.environments import service as environments
from apim_publisher.workflows import consumer as decisions
from apim_publisher.workflows import service as workflows

GROUP = "publisher-api"
TOPICS = (
    Topic.TENANTS,
    Topic.ENVIRONMENTS,
    Topic.WORKFLOWS,
    Topic.THROTTLE_POLICIES,
    Topic.KEY_MANAGERS,
    Topic.API_CATEGORIES,
)
CATALOG_EVENTS = ("throttle-policy.", "key-manager.", "api-category.", "tenant.", "tenant-config.updated")


async def dispatch(session: AsyncSession, event: CloudEvent) -> None:
    if event.type.startswith(CATALOG_EVENTS):
        await catalog.apply_event(session, event)
    if event.type == "tenant-config.updated":
        await workflows.apply_tenant_config(session, event)
    elif event.type.startswith("environment."):
        await environments.apply_event(session, event)
    elif event.type == "workflow.decided":
        await decisions.on_decided(session, event)
    # Anything else on these topics (our own workflow.requested among them) is not for us.


@contextlib.asynccontextmanager
async def consume(app: FastAPI) -> AsyncIterator[None]:
    handle = idempotent(app.state.database, processed_events, GROUP, dispatch)

    async def handler(event: CloudEvent) -> None:
        await handle(event)
        # Decisions write events (deployments, lifecycle); send them now rather than at the next poll.
        relay = getattr(app.state, "outbox_relay", None)
        if relay is not None:
            relay.wake()

    app.state.bus.subscribe([str(t) for t in TOPICS], GROUP, handler)
    yield
