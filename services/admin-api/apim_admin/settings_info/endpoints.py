from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from apim_admin.scopes import AdminSettings
from apim_admin.system_scopes import service as system_scopes
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Settings"])

KEY_MANAGER_TYPES = [
    "default",
    "WSO2-IS",
    "KeyCloak",
    "Okta",
    "Auth0",
    "PingFederate",
    "AzureAD",
    "ForgeRock",
    "custom",
]


class AdminPortalSettings(BaseModel):
    scopes: list[str]
    gatewayTypes: list[str] = Field(default_factory=lambda: ["Regular"])
    IsJWTEnabledForLoginTokens: bool = True
    keyManagerConfiguration: list[dict[str, Any]]
    analyticsEnabled: bool = False


@router.get("/settings", response_model=AdminPortalSettings)
async def get_admin_settings(session: SessionDep, principal: AdminSettings) -> AdminPortalSettings:
    scopes = [s.name for s in await system_scopes.scopes(session, principal.tenant)]
    configurations = [
        {
            "type": t,
            "displayName": t,
            "defaultConsumerKeyClaimUri": "azp",
            "defaultScopesClaim": "scope",
            "configurations": [],
        }
        for t in KEY_MANAGER_TYPES
    ]
    return AdminPortalSettings(scopes=scopes, keyManagerConfiguration=configurations)
