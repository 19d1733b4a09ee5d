"""Every change the Developer Portal API makes is announced through its outbox, in the change's
transaction."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.envelope import new_event
from apim_common.events.outbox import emit
from apim_devportal.base import outbox

SOURCE = "/api/am/devportal/v3"


async def announce(
    session: AsyncSession, topic: str, type_: str, subject: str, data: dict[str, Any], *, tenant: str
) -> None:
    await emit(session, outbox, topic, new_event(SOURCE, type_, subject, data, tenant=tenant))
