"""The scope -> roles map a tenant starts with, from its one source in ``apim_common.system_scopes``."""

from apim_common.system_scopes import DEFAULT_SCOPE_ROLES

DEFAULT_SCOPES: dict[str, list[str]] = {scope: list(roles) for scope, roles in DEFAULT_SCOPE_ROLES.items()}
