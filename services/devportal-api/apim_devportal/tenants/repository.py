from collections.abc import Sequence

from apim_common.repository import Repository
from apim_devportal.tenants.models import TenantView


class TenantRepository(Repository[TenantView]):
    model = TenantView

    async def by_status(self, status: str | None) -> Sequence[TenantView]:
        statement = self.select().order_by(TenantView.domain)
        if status:
            statement = statement.where(TenantView.status == status.upper())
        return await self.all(statement)
