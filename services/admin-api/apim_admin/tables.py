"""Every table of the service, imported so that ``metadata`` knows them all (for migrations)."""

from apim_admin.alerts.models import AlertSubscription, BotDetectionSubscription
from apim_admin.botdetection.models import BotDetectionRecord
from apim_admin.categories.models import ApiCategory
from apim_admin.deny_policies.models import DenyPolicy
from apim_admin.environments.models import Environment
from apim_admin.key_managers.models import KeyManager
from apim_admin.models import metadata
from apim_admin.monetization.models import BilledSubscription, BillingAccount, PublishJob, UsageRecord
from apim_admin.system_scopes.models import ScopeMapping
from apim_admin.tenant_config.models import TenantConfig
from apim_admin.tenant_theme.models import TenantTheme
from apim_admin.tenants.models import Tenant
from apim_admin.throttling.models import ThrottlePolicy
from apim_admin.usage.models import KnownApi, KnownApplication, KnownKeyMapping, PolicyReference
from apim_admin.workflows.models import Workflow

__all__ = [
    "AlertSubscription",
    "ApiCategory",
    "BilledSubscription",
    "BillingAccount",
    "BotDetectionRecord",
    "BotDetectionSubscription",
    "DenyPolicy",
    "Environment",
    "KeyManager",
    "KnownApi",
    "KnownApplication",
    "KnownKeyMapping",
    "PolicyReference",
    "PublishJob",
    "ScopeMapping",
    "Tenant",
    "TenantConfig",
    "TenantTheme",
    "ThrottlePolicy",
    "UsageRecord",
    "Workflow",
    "metadata",
]
