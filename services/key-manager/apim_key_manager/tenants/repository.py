"""SQL of tenants."""

from __future__ import annotations

from apim_common.repository import Repository
from apim_key_manager.tenants.models import Tenant


class TenantRepository(Repository[Tenant]):
    model = Tenant
