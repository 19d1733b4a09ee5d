"""Writes shared by every row of the API table, an API's or an API product's: a new row and its
first lifecycle state, the version and audit fields a change bumps, one default version per name,
and the event that announces the change. The API and product services both build on these."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events import Topic
from apim_common.security import Principal
from apim_publisher.apis import views
from apim_publisher.apis.models import API
from apim_publisher.apis.repository import APIRepository
from apim_publisher.common import record, utcnow
from apim_publisher.lifecycle.models import LifecycleEvent


def touch(row: API, principal: Principal | None) -> None:
    """A change: the ETag moves on and the row says when, and by whom if someone asked."""
    row.row_version += 1
    row.updated_at = utcnow()
    if principal is not None:
        row.updated_by = principal.username


async def announce(session: AsyncSession, row: API, type_: str) -> None:
    """``type_`` is named for an API (``api.updated``); a product's event is named for a product."""
    await record(
        session, Topic.APIS, views.event_type(row, type_), row.id, views.event_data(row), tenant=row.tenant
    )


async def make_only_default(session: AsyncSession, row: API, principal: Principal) -> None:
    """``row`` is its name's default version; any other version that was loses it."""
    for other in await APIRepository(session).with_name(row.tenant, row.name):
        if other.id != row.id and other.is_default_version:
            other.is_default_version = False
            touch(other, principal)
            await announce(session, other, "api.updated")


async def add(session: AsyncSession, principal: Principal, row: API) -> None:
    """A new row: stored, its lifecycle begun in CREATED, made the default version if it says so,
    and announced."""
    await APIRepository(session).add(row)
    session.add(
        LifecycleEvent(
            api_id=row.id,
            tenant=row.tenant,
            previous_state=None,
            post_state=row.lifecycle_status,
            username=principal.username,
            updated_at=row.created_at,
        )
    )
    if row.is_default_version:
        await make_only_default(session, row, principal)
    await announce(session, row, "api.created")
