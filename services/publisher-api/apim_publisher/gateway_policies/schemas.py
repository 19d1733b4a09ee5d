"""Gateway policy DTOs of Publisher v4 (4.3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from apim_publisher.apis.schemas import OperationPolicies


class GatewayPolicyMappingBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    displayName: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    policyMapping: OperationPolicies = Field(default_factory=OperationPolicies)


class GatewayPolicyMappingPublic(GatewayPolicyMappingBody):
    id: str
    appliedGatewayLabels: list[str] = Field(default_factory=list)


class GatewayPolicyMappingInfo(BaseModel):
    id: str
    displayName: str
    description: str | None = None
    appliedGatewayLabels: list[str] = Field(default_factory=list)


class GatewayPolicyDeploymentItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    gatewayLabel: str = Field(min_length=1)
    gatewayDeployment: bool = True
    mappingUUID: str | None = None
