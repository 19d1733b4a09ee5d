from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apim_common.pagination import Pagination
from apim_devportal.applications.schemas import ApplicationInfo
from apim_devportal.catalog.schemas import APIInfo

Status = Literal[
    "BLOCKED",
    "PROD_ONLY_BLOCKED",
    "UNBLOCKED",
    "ON_HOLD",
    "REJECTED",
    "TIER_UPDATE_PENDING",
    "DELETE_PENDING",
]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    applicationId: str = Field(min_length=1)
    apiId: str | None = None
    # WSO2 4.x clients of API products may still send apiProductId.
    apiProductId: str | None = None
    throttlingPolicy: str = Field(min_length=1)
    requestedThrottlingPolicy: str | None = None

    @property
    def target(self) -> str | None:
        return self.apiId or self.apiProductId


class SubscriptionPublic(BaseModel):
    subscriptionId: str
    applicationId: str
    apiId: str
    apiInfo: APIInfo | None = None
    applicationInfo: ApplicationInfo | None = None
    throttlingPolicy: str
    requestedThrottlingPolicy: str | None = None
    status: Status
    redirectionParams: str | None = None


class SubscriptionList(BaseModel):
    count: int
    list: list[SubscriptionPublic]
    pagination: Pagination


class AdditionalSubscriptionInfo(BaseModel):
    subscriptionId: str
    applicationId: str
    applicationName: str
    apiId: str
    isSolaceAPI: bool = False
    solaceOrganization: str | None = None
    solaceDeployedEnvironments: list[dict[str, Any]] = []


class AdditionalSubscriptionInfoList(BaseModel):
    count: int
    list: list[AdditionalSubscriptionInfo]
    pagination: Pagination


UsageGranularity = Literal["minute", "hour", "day"]


class UsagePoint(BaseModel):
    time: str  # the bucket's start, ISO-8601 UTC
    requestCount: int


class SubscriptionUsage(BaseModel):
    """WSO2's ``APIMonetizationUsage`` (``properties``, every value a string), with the counts per
    time bucket beside it: the calls of the subscription's application to its API, from the
    analytics rollups."""

    model_config = ConfigDict(populate_by_name=True)

    properties: dict[str, str]
    subscriptionId: str
    apiId: str
    applicationId: str
    granularity: UsageGranularity
    from_: datetime = Field(alias="from")
    to: datetime
    requestCount: int
    list: list[UsagePoint]
