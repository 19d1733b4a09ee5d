"""The resident role -> scope map, from its one source in ``apim_common.system_scopes``."""

from apim_common.system_scopes import (
    ADMIN,
    CREATOR,
    DEFAULT_SCOPE,
    DEFAULT_SCOPE_ROLES,
    EVERYONE,
    PUBLISHER,
    RESIDENT_ROLES,
    SUBSCRIBER,
)

__all__ = [
    "ADMIN",
    "CREATOR",
    "DEFAULT_SCOPE",
    "DEFAULT_SCOPE_ROLES",
    "EVERYONE",
    "PUBLISHER",
    "RESIDENT_ROLES",
    "SUBSCRIBER",
]
