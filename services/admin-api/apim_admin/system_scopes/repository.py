from apim_admin.system_scopes.models import ScopeMapping
from apim_common.repository import Repository


class ScopeMappingRepository(Repository[ScopeMapping]):
    model = ScopeMapping
