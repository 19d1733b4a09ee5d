"""Every change the Admin API makes is announced through its outbox, in the change's transaction."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.models import outbox
from apim_common.events.envelope import new_event
from apim_common.events.outbox import emit

SOURCE = "/api/am/admin/v4"


async def announce(
    session: AsyncSession, topic: str, type_: str, subject: str, data: dict[str, Any], *, tenant: str
) -> None:
    await emit(session, outbox, topic, new_event(SOURCE, type_, subject, data, tenant=tenant))
