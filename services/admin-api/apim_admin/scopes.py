"""Who may call what: each Admin v4 operation's scopes, as WSO2 4.3 declares them.

Holding any one scope of an alias admits the caller; ``apim:admin`` is in every one of them.
"""

from typing import Annotated

from fastapi import Depends

from apim_common.security import Principal, require_scopes

ADMIN = "apim:admin"
SUPER_TENANT = "carbon.super"


TierView = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:tier_view", "apim:admin_tier_view"))]
TierSearch = Annotated[
    Principal,
    Depends(require_scopes(ADMIN, "apim:tier_view", "apim:admin_tier_view", "apim:policies_import_export")),
]
TierManage = Annotated[
    Principal, Depends(require_scopes(ADMIN, "apim:tier_manage", "apim:admin_tier_manage"))
]
TierDelete = Annotated[
    Principal,
    Depends(
        require_scopes(ADMIN, "apim:tier_manage", "apim:admin_tier_manage", "apim:policies_import_export")
    ),
]
TierExport = Annotated[
    Principal,
    Depends(
        require_scopes(ADMIN, "apim:tier_manage", "apim:admin_tier_manage", "apim:policies_import_export")
    ),
]
DenyView = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:bl_view"))]
DenyManage = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:bl_manage"))]
AppList = Annotated[
    Principal,
    Depends(
        require_scopes(
            ADMIN, "apim:app_owner_change", "apim:app_import_export", "apim:admin_application_view"
        )
    ),
]
AppOwnerChange = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:app_owner_change"))]
EnvironmentRead = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:environment_read"))]
EnvironmentManage = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:environment_manage"))]
WorkflowView = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:api_workflow_view"))]
WorkflowApprove = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:api_workflow_approve"))]
TenantInfo = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:tenantInfo"))]
Category = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:admin_operations", "apim:api_category"))]
AdminSettings = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:admin_settings"))]
AlertManage = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:admin_alert_manage"))]
BotData = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:bot_data"))]
ScopeManage = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:scope_manage"))]
TenantTheme = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:tenant_theme_manage"))]
AdminOnly = Annotated[Principal, Depends(require_scopes(ADMIN))]
KeyManagerManage = Annotated[
    Principal, Depends(require_scopes(ADMIN, "apim:admin_operations", "apim:keymanagers_manage"))
]
KeyManagerOperations = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:admin_operations"))]
ProviderChange = Annotated[Principal, Depends(require_scopes(ADMIN, "apim:api_provider_change"))]
