"""SQL for lifecycle history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from apim_common.repository import Repository
from apim_publisher.lifecycle.models import LifecycleEvent


class LifecycleRepository(Repository[LifecycleEvent]):
    model = LifecycleEvent

    async def history(self, api_id: str) -> Sequence[LifecycleEvent]:
        return await self.all(
            select(LifecycleEvent).where(LifecycleEvent.api_id == api_id).order_by(LifecycleEvent.id)
        )
