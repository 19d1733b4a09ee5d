"""The events the Admin API produces, each with the model its data is made from.

``make asyncapi-schemas`` writes their JSON Schema to ``event_schemas.json`` beside this file,
which the platform's AsyncAPI document is built from (``apim_common.events.asyncapi``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from apim_admin.deny_policies.schemas import BlockingCondition
from apim_admin.environments.schemas import Environment
from apim_admin.key_managers.schemas import KeyManager
from apim_admin.system_scopes.schemas import RoleAlias
from apim_common.events import Topic
from apim_common.events.asyncapi import Catalog, EventType, crud
from apim_common.events.schemas import WorkflowDecidedData


class CategoryEventData(BaseModel):
    """An API category as ``GET /api-categories`` shows it, without its count of APIs."""

    id: str
    name: str
    description: str | None = None


class ThrottlePolicyEventData(BaseModel):
    policyType: str = Field(description="advanced, application, subscription or custom")
    policy: dict[str, Any] = Field(description="the policy as GET /throttling/policies/... shows it")


class TenantEventData(BaseModel):
    domain: str
    status: str = Field(description="ACTIVE or INACTIVE")
    adminUsername: str


class TenantConfigEventData(BaseModel):
    config: dict[str, Any] = Field(description="the tenant's configuration (tenant-conf.json)")


class ScopeRoles(BaseModel):
    name: str
    roles: list[str]


class SystemScopesEventData(BaseModel):
    scopes: list[ScopeRoles]
    roleAliases: list[RoleAlias]


CATALOG: Catalog = {
    Topic.THROTTLE_POLICIES: crud("throttle-policy", "a throttling policy", ThrottlePolicyEventData),
    Topic.DENY_POLICIES: crud("deny-policy", "a deny (blocking) policy", BlockingCondition),
    Topic.KEY_MANAGERS: crud(
        "key-manager", 'a key manager (secret-named additionalProperties masked as "")', KeyManager
    ),
    Topic.WORKFLOWS: [EventType("workflow.decided", "an approval was given or refused", WorkflowDecidedData)],
    Topic.SYSTEM_SCOPES: [
        EventType("system-scopes.updated", "the system scopes' role mappings changed", SystemScopesEventData)
    ],
    Topic.TENANTS: [
        *crud("tenant", "a tenant", TenantEventData, ("created", "updated")),
        EventType("tenant-config.updated", "a tenant's configuration changed", TenantConfigEventData),
    ],
    Topic.ENVIRONMENTS: crud("environment", "a gateway environment", Environment),
    Topic.API_CATEGORIES: crud("api-category", "an API category", CategoryEventData),
}
