from collections.abc import Sequence

from sqlalchemy import delete, select

from apim_admin.botdetection.models import BotDetectionRecord
from apim_common.repository import Repository


class BotDetectionRepository(Repository[BotDetectionRecord]):
    model = BotDetectionRecord

    async def newest(
        self, tenant: str, *, limit: int, offset: int
    ) -> tuple[Sequence[BotDetectionRecord], int]:
        statement = (
            select(BotDetectionRecord)
            .where(BotDetectionRecord.tenant == tenant)
            .order_by(BotDetectionRecord.recorded_time.desc(), BotDetectionRecord.message_id)
        )
        return await self.page(statement, limit=limit, offset=offset)

    async def keep_newest(self, tenant: str, keep: int) -> None:
        """Deletes the tenant's records beyond its ``keep`` newest."""
        beyond = (
            select(BotDetectionRecord.message_id)
            .where(BotDetectionRecord.tenant == tenant)
            .order_by(BotDetectionRecord.recorded_time.desc(), BotDetectionRecord.message_id)
            .offset(keep)
        )
        gone = delete(BotDetectionRecord).where(BotDetectionRecord.message_id.in_(beyond))
        await self.session.execute(gone)
