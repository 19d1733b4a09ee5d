from typing import Any, Literal

from pydantic import BaseModel


class ThrottlingPolicyPermissionInfo(BaseModel):
    type: Literal["allow", "deny"]
    roles: list[str] = []


class ThrottlingPolicyPublic(BaseModel):
    name: str
    description: str = ""
    policyLevel: Literal["application", "subscription"]
    displayName: str | None = None
    attributes: dict[str, str] = {}
    requestCount: int
    dataUnit: str | None = None
    unitTime: int
    timeUnit: str
    rateLimitCount: int = 0
    rateLimitTimeUnit: str | None = None
    quotaPolicyType: Literal["REQUESTCOUNT", "BANDWIDTHVOLUME"] = "REQUESTCOUNT"
    tierPlan: Literal["FREE", "COMMERCIAL"] = "FREE"
    stopOnQuotaReach: bool = True
    monetizationAttributes: dict[str, Any] | None = None
    throttlingPolicyPermissions: ThrottlingPolicyPermissionInfo | None = None
