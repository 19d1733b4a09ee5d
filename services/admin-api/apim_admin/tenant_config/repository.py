from apim_admin.tenant_config.models import TenantConfig
from apim_common.repository import Repository


class TenantConfigRepository(Repository[TenantConfig]):
    model = TenantConfig
