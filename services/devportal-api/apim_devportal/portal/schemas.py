from typing import Any

from pydantic import BaseModel


class PortalSettings(BaseModel):
    grantTypes: list[str]
    scopes: list[str] = []
    applicationSharingEnabled: bool = True
    mapExistingAuthApps: bool = True
    apiGatewayEndpoint: str
    monetizationEnabled: bool = False
    recommendationEnabled: bool = True
    IsUnlimitedTierPaid: bool = False
    identityProvider: dict[str, Any] = {"external": False}
    IsAnonymousModeEnabled: bool = True
    IsPasswordChangeEnabled: bool = False
    IsJWTEnabledForLoginTokens: bool = True
    userStorePasswordPattern: str | None = None
    passwordPolicyPattern: str | None = None
    passwordPolicyMinLength: int | None = None
    passwordPolicyMaxLength: int | None = None
    apiChatEnabled: bool = False
    aiAuthTokenProvided: bool = False
    marketplaceAssistantEnabled: bool = False


class ApplicationAttribute(BaseModel):
    description: str | None = None
    type: str | None = None
    tooltip: str | None = None
    required: str = "false"
    attribute: str
    hidden: str = "false"


class ApplicationAttributeList(BaseModel):
    count: int
    list: list[ApplicationAttribute]


class RecommendedAPI(BaseModel):
    id: str
    name: str
    avgRating: str


class Recommendations(BaseModel):
    count: int
    list: list[RecommendedAPI]
