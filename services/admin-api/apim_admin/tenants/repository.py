from collections.abc import Sequence

from sqlalchemy import func, select

from apim_admin.tenants.models import Tenant
from apim_common.repository import Repository


class TenantRepository(Repository[Tenant]):
    model = Tenant

    async def list_page(self, *, limit: int, offset: int) -> tuple[Sequence[Tenant], int]:
        return await self.page(select(Tenant).order_by(Tenant.tenant_id), limit=limit, offset=offset)

    async def next_tenant_id(self) -> int:
        highest = await self.session.scalar(select(func.max(Tenant.tenant_id)))
        return max(int(highest or 0), 0) + 1
