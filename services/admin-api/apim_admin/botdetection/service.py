"""Keeps the gateways' bot-trap records and lists them per tenant, newest first."""

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.botdetection.models import BotDetectionRecord
from apim_admin.botdetection.repository import BotDetectionRepository
from apim_admin.botdetection.schemas import BotDetectionData, BotDetectionDataList
from apim_common.events.bot_detection import RECORDED
from apim_common.events.consumer import SessionHandler
from apim_common.events.envelope import CloudEvent

logger = logging.getLogger(__name__)

PATH = "/api/am/admin/v4/bot-detection-data"
MAX_TENANT = 255  # the tenant column's length


def recorder(max_records: int) -> SessionHandler:
    """The consumer of ``bot-detection`` events, keeping each tenant's ``max_records`` newest."""

    async def on_event(session: AsyncSession, event: CloudEvent) -> None:
        await record(session, event, max_records=max_records)

    return on_event


async def record(session: AsyncSession, event: CloudEvent, *, max_records: int) -> None:
    """A ``bot-detection.recorded`` event becomes a row of its tenant, the oldest beyond
    ``max_records`` going; a malformed event is logged and skipped, so it cannot hold up the
    records behind it."""
    if event.type != RECORDED:
        return
    if not 0 < len(event.tenant) <= MAX_TENANT:  # no tenant has such a domain: nobody could see it
        logger.warning("bot-detection event %s skipped: its tenant does not fit", event.id)
        return
    try:
        data = BotDetectionData.model_validate(event.data)
    except ValidationError as exc:
        logger.warning("bot-detection event %s skipped: %s", event.id, exc.errors()[0]["msg"])
        return
    repository = BotDetectionRepository(session)
    if await repository.get(data.messageID) is not None:
        return
    await repository.add(
        BotDetectionRecord(
            message_id=data.messageID,
            tenant=event.tenant,
            recorded_time=data.recordedTime,
            api_method=data.apiMethod,
            header_set=data.headerSet,
            message_body=data.messageBody,
            client_ip=data.clientIp,
        )
    )
    await repository.keep_newest(event.tenant, max_records)


def _out(row: BotDetectionRecord) -> BotDetectionData:
    return BotDetectionData(
        recordedTime=row.recorded_time,
        messageID=row.message_id,
        apiMethod=row.api_method,
        headerSet=row.header_set,
        messageBody=row.message_body,
        clientIp=row.client_ip,
    )


async def newest(session: AsyncSession, tenant: str, *, limit: int, offset: int) -> BotDetectionDataList:
    rows, total = await BotDetectionRepository(session).newest(tenant, limit=limit, offset=offset)
    return BotDetectionDataList.of(
        [_out(r) for r in rows], total=total, limit=limit, offset=offset, path=PATH
    )
