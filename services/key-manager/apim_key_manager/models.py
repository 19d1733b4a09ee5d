"""Every Key Manager table, gathered for the migrations; its schema is made by its migrations."""

from apim_common.events.consumer import processed_events_table
from apim_common.events.outbox import outbox_table
from apim_key_manager.authorize.models import AuthorizationCode
from apim_key_manager.base import Base
from apim_key_manager.clients.models import OAuthClient
from apim_key_manager.keys.models import SigningKey, TenantSigningAlgorithm
from apim_key_manager.revocation.models import RevocationRule, RevokedToken
from apim_key_manager.scopes.models import RoleAlias, ScopeRoles
from apim_key_manager.tenants.models import Tenant
from apim_key_manager.users.models import Group, GroupMember, User, UserRole

metadata = Base.metadata
outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)

__all__ = [
    "AuthorizationCode",
    "Base",
    "Group",
    "GroupMember",
    "OAuthClient",
    "RevocationRule",
    "RevokedToken",
    "RoleAlias",
    "ScopeRoles",
    "SigningKey",
    "Tenant",
    "TenantSigningAlgorithm",
    "User",
    "UserRole",
    "metadata",
    "outbox",
    "processed_events",
]
