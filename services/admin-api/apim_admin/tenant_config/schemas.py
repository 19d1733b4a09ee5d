"""The document's schema: the sections other services read are typed; others pass through."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WORKFLOW_TYPES = (
    "AM_APPLICATION_CREATION",
    "AM_SUBSCRIPTION_CREATION",
    "AM_SUBSCRIPTION_UPDATE",
    "AM_SUBSCRIPTION_DELETION",
    "AM_APPLICATION_DELETION",
    "AM_API_STATE",
    "AM_API_PRODUCT_STATE",
    "AM_REVISION_DEPLOYMENT",
    "AM_APPLICATION_REGISTRATION",
    "AM_USER_SIGNUP",
)


class WorkflowSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False


class WorkflowsSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    AM_APPLICATION_CREATION: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_SUBSCRIPTION_CREATION: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_SUBSCRIPTION_UPDATE: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_SUBSCRIPTION_DELETION: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_APPLICATION_DELETION: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_API_STATE: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_API_PRODUCT_STATE: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_REVISION_DEPLOYMENT: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_APPLICATION_REGISTRATION: WorkflowSwitch = Field(default_factory=WorkflowSwitch)
    AM_USER_SIGNUP: WorkflowSwitch = Field(default_factory=WorkflowSwitch)


class SelfSignUpSection(BaseModel):
    SignUpRoles: list[str] = Field(default_factory=lambda: ["Internal/subscriber"])


class DefaultRole(BaseModel):
    RoleName: str
    CreateOnTenantLoad: bool = True


class DefaultRolesSection(BaseModel):
    PublisherRole: DefaultRole = Field(default_factory=lambda: DefaultRole(RoleName="Internal/publisher"))
    CreatorRole: DefaultRole = Field(default_factory=lambda: DefaultRole(RoleName="Internal/creator"))
    SubscriberRole: DefaultRole = Field(default_factory=lambda: DefaultRole(RoleName="Internal/subscriber"))
    DevOpsRole: DefaultRole = Field(default_factory=lambda: DefaultRole(RoleName="Internal/devops"))


class TenantConfigDocument(BaseModel):
    """WSO2's tenant-conf.json; unknown top-level sections are kept as given."""

    model_config = ConfigDict(extra="allow")

    EnableMonetization: bool = False
    EnableRecommendation: bool = False
    IsUnlimitedTierPaid: bool = False
    ExtensionHandlerPosition: Literal["top", "bottom"] = "bottom"
    NotificationsEnabled: bool = False
    DefaultRoles: DefaultRolesSection = Field(default_factory=DefaultRolesSection)
    SelfSignUp: SelfSignUpSection = Field(default_factory=SelfSignUpSection)
    Workflows: WorkflowsSection = Field(default_factory=WorkflowsSection)
