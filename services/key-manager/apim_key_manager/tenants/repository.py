"""SQL of tenants."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select

from apim_common.events.envelope import DEFAULT_TENANT
from apim_common.repository import Repository
from apim_key_manager.tenants.models import INACTIVE, Tenant


class TenantRepository(Repository[Tenant]):
    model = Tenant

    async def is_inactive(self, domain: str) -> bool:
        if domain == DEFAULT_TENANT:
            return False  # carbon.super is not stored and cannot be deactivated
        # Domains are stored in lower case (tenants.service).
        statement = select(exists().where(Tenant.domain == domain.lower(), Tenant.status == INACTIVE))
        return bool(await self.session.scalar(statement))

    async def inactive_domains(self) -> Sequence[str]:
        return (await self.session.scalars(select(Tenant.domain).where(Tenant.status == INACTIVE))).all()
