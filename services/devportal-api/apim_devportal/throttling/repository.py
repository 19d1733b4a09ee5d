from collections.abc import Sequence

from apim_common.repository import Repository
from apim_devportal.throttling.models import TierView


class TierRepository(Repository[TierView]):
    model = TierView

    async def for_tenant(self, tenant: str, level: str) -> Sequence[TierView]:
        statement = self.select().where(TierView.tenant == tenant, TierView.level == level)
        return await self.all(statement)

    async def by_name(self, tenant: str, level: str, name: str) -> TierView | None:
        statement = self.select().where(
            TierView.tenant == tenant, TierView.level == level, TierView.name == name
        )
        return await self.one_or_none(statement)
