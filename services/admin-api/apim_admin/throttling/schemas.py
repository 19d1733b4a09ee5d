"""WSO2 Admin v4 throttling DTOs, with the limits validated when written."""

import ipaddress
import re
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

TimeUnit = Literal["sec", "min", "hour", "day", "week", "month", "year"]
BurstUnit = Literal["sec", "min"]
PolicyType = Literal["application", "subscription", "advanced", "custom"]
POLICY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-. ]*$"
KEY_TEMPLATE_VARIABLES = frozenset(
    {
        "$resourceKey",
        "$userId",
        "$apiContext",
        "$apiVersion",
        "$appTenant",
        "$apiTenant",
        "$appId",
        "$clientIp",
    }
)


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RequestCountLimit(Model):
    timeUnit: TimeUnit
    unitTime: PositiveInt
    requestCount: PositiveInt


class BandwidthLimit(Model):
    timeUnit: TimeUnit
    unitTime: PositiveInt
    dataAmount: PositiveInt
    dataUnit: Literal["KB", "MB", "GB"]


class EventCountLimit(Model):
    timeUnit: TimeUnit
    unitTime: PositiveInt
    eventCount: PositiveInt


class ThrottleLimit(Model):
    type: Literal["REQUESTCOUNTLIMIT", "BANDWIDTHLIMIT", "EVENTCOUNTLIMIT"]
    requestCount: RequestCountLimit | None = None
    bandwidth: BandwidthLimit | None = None
    eventCount: EventCountLimit | None = None

    @model_validator(mode="after")
    def _limit_matches_type(self) -> Self:
        member = {
            "REQUESTCOUNTLIMIT": "requestCount",
            "BANDWIDTHLIMIT": "bandwidth",
            "EVENTCOUNTLIMIT": "eventCount",
        }
        if getattr(self, member[self.type]) is None:
            raise ValueError(f"a {self.type} limit needs its '{member[self.type]}' values")
        return self


class BurstLimit(Model):
    rateLimitCount: NonNegativeInt = 0
    rateLimitTimeUnit: BurstUnit | None = None

    @model_validator(mode="after")
    def _unit_when_counted(self) -> Self:
        if self.rateLimitCount > 0 and self.rateLimitTimeUnit is None:
            raise ValueError("rateLimitTimeUnit (sec or min) is needed when rateLimitCount is set")
        return self


class PolicyBase(Model):
    policyId: str | None = None
    policyName: str = Field(min_length=1, max_length=255, pattern=POLICY_NAME)
    displayName: str | None = None
    description: str | None = Field(default=None, max_length=1024)
    isDeployed: bool = True
    type: str | None = None


class ApplicationThrottlePolicy(PolicyBase):
    defaultLimit: ThrottleLimit
    burstLimit: BurstLimit | None = None


class Permissions(Model):
    permissionType: Literal["ALLOW", "DENY"]
    roles: list[str]


class CustomAttribute(Model):
    name: str = Field(min_length=1)
    value: str


# A tier's price: a decimal amount of at most 12 digits before the point and 6 after.
PRICE = re.compile(r"^\d{1,12}(\.\d{1,6})?$")
PLAN_PRICE = {"FIXEDRATE": "fixedPrice", "DYNAMICRATE": "pricePerRequest"}
BILLING_CYCLES = ("day", "week", "month", "year")
MONETIZATION_PROPERTIES = frozenset({"fixedPrice", "pricePerRequest", "currencyType", "billingCycle"})


class MonetizationInfo(Model):
    """The tier's price, billed by the configured provider from the subscriptions' usage:
    ``FIXEDRATE`` charges ``fixedPrice`` each ``billingCycle``, ``DYNAMICRATE`` charges
    ``pricePerRequest`` per call; ``currencyType`` is an ISO 4217 code (USD by default)."""

    monetizationPlan: Literal["FIXEDRATE", "DYNAMICRATE"] | None = None
    properties: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _priced_plan(self) -> Self:
        properties = {k: v.strip() for k, v in self.properties.items() if v is not None and v.strip()}
        if self.monetizationPlan is None:
            if properties:
                raise ValueError(f"properties ({', '.join(sorted(properties))}) need a monetizationPlan")
            self.properties = {}
            return self
        unknown = sorted(set(properties) - MONETIZATION_PROPERTIES)
        if unknown:
            raise ValueError(
                f"unknown properties {', '.join(unknown)}; use {', '.join(sorted(MONETIZATION_PROPERTIES))}"
            )
        price_name = PLAN_PRICE[self.monetizationPlan]
        other = PLAN_PRICE["FIXEDRATE" if self.monetizationPlan == "DYNAMICRATE" else "DYNAMICRATE"]
        if other in properties:
            raise ValueError(f"{other} is not a property of a {self.monetizationPlan} plan; set {price_name}")
        price = properties.get(price_name)
        if price is None or not PRICE.match(price):
            raise ValueError(
                f"a {self.monetizationPlan} plan needs {price_name}, a non-negative decimal like 0.05"
            )
        currency = properties.setdefault("currencyType", "USD").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValueError(f"currencyType must be a three-letter ISO 4217 code, not {currency!r}")
        properties["currencyType"] = currency
        cycle = properties.setdefault("billingCycle", "month").lower()
        if cycle not in BILLING_CYCLES:
            raise ValueError(f"billingCycle must be one of {', '.join(BILLING_CYCLES)}, not {cycle!r}")
        properties["billingCycle"] = cycle
        self.properties = properties
        return self


class SubscriptionThrottlePolicy(PolicyBase):
    defaultLimit: ThrottleLimit
    # The gateway refuses GraphQL queries above them (0: no bound, as WSO2's forms send it).
    graphQLMaxComplexity: NonNegativeInt | None = None
    graphQLMaxDepth: NonNegativeInt | None = None
    monetization: MonetizationInfo | None = None
    rateLimitCount: NonNegativeInt = 0
    rateLimitTimeUnit: BurstUnit | None = None
    subscriberCount: NonNegativeInt | None = None
    customAttributes: list[CustomAttribute] = Field(default_factory=list)
    stopOnQuotaReach: bool = False
    billingPlan: Literal["FREE", "COMMERCIAL"] = "FREE"
    permissions: Permissions | None = None

    @model_validator(mode="after")
    def _burst_unit_when_counted(self) -> Self:
        if self.rateLimitCount > 0 and self.rateLimitTimeUnit is None:
            raise ValueError("rateLimitTimeUnit (sec or min) is needed when rateLimitCount is set")
        return self


def _ip(value: str | None, field: str) -> None:
    try:
        ipaddress.ip_address(value or "")
    except ValueError as exc:
        raise ValueError(f"{field} is not an IP address: {value!r}") from exc


class HeaderCondition(Model):
    headerName: str = Field(min_length=1)
    headerValue: str


class IPCondition(Model):
    ipConditionType: Literal["IPRANGE", "IPSPECIFIC"]
    specificIP: str | None = None
    startingIP: str | None = None
    endingIP: str | None = None

    @model_validator(mode="after")
    def _addresses(self) -> Self:
        if self.ipConditionType == "IPSPECIFIC":
            _ip(self.specificIP, "specificIP")
        else:
            _ip(self.startingIP, "startingIP")
            _ip(self.endingIP, "endingIP")
            first, last = (
                ipaddress.ip_address(self.startingIP or ""),
                ipaddress.ip_address(self.endingIP or ""),
            )
            if first.version != last.version or int(first) > int(last):
                raise ValueError("startingIP and endingIP must be of one IP version, in order")
        return self


class JWTClaimsCondition(Model):
    claimUrl: str = Field(min_length=1)
    attribute: str


class QueryParameterCondition(Model):
    parameterName: str = Field(min_length=1)
    parameterValue: str


class ThrottleCondition(Model):
    type: Literal["HEADERCONDITION", "IPCONDITION", "JWTCLAIMSCONDITION", "QUERYPARAMETERCONDITION"]
    invertCondition: bool = False
    headerCondition: HeaderCondition | None = None
    ipCondition: IPCondition | None = None
    jwtClaimsCondition: JWTClaimsCondition | None = None
    queryParameterCondition: QueryParameterCondition | None = None

    @model_validator(mode="after")
    def _condition_matches_type(self) -> Self:
        member = {
            "HEADERCONDITION": "headerCondition",
            "IPCONDITION": "ipCondition",
            "JWTCLAIMSCONDITION": "jwtClaimsCondition",
            "QUERYPARAMETERCONDITION": "queryParameterCondition",
        }[self.type]
        if getattr(self, member) is None:
            raise ValueError(f"a {self.type} needs its '{member}'")
        return self


class ConditionalGroup(Model):
    description: str | None = None
    conditions: list[ThrottleCondition] = Field(min_length=1)
    limit: ThrottleLimit

    @field_validator("limit")
    @classmethod
    def _counts_requests(cls, value: ThrottleLimit) -> ThrottleLimit:
        # Conditions look at a request's headers, query and claims; a WebSocket frame has none.
        if value.type == "EVENTCOUNTLIMIT":
            raise ValueError(
                "eventCount: a conditional group limits the requests its conditions match; "
                "use a REQUESTCOUNTLIMIT or BANDWIDTHLIMIT (event limits go in defaultLimit)"
            )
        return value


class AdvancedThrottlePolicy(PolicyBase):
    defaultLimit: ThrottleLimit
    conditionalGroups: list[ConditionalGroup] = Field(default_factory=list)


class CustomRule(PolicyBase):
    siddhiQuery: str | None = None
    keyTemplate: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_key_variables(self) -> Self:
        variables = set(re.findall(r"\$[A-Za-z]+", self.keyTemplate))
        if not variables:
            raise ValueError(f"keyTemplate needs at least one of {', '.join(sorted(KEY_TEMPLATE_VARIABLES))}")
        unknown = variables - KEY_TEMPLATE_VARIABLES
        if unknown:
            raise ValueError(f"keyTemplate has unknown variables: {', '.join(sorted(unknown))}")
        return self


AnyPolicy = ApplicationThrottlePolicy | SubscriptionThrottlePolicy | AdvancedThrottlePolicy | CustomRule

SCHEMAS: dict[str, type[PolicyBase]] = {
    "application": ApplicationThrottlePolicy,
    "subscription": SubscriptionThrottlePolicy,
    "advanced": AdvancedThrottlePolicy,
    "custom": CustomRule,
}
TYPE_NAMES = {
    "application": "ApplicationThrottlePolicy",
    "subscription": "SubscriptionThrottlePolicy",
    "advanced": "AdvancedThrottlePolicy",
    "custom": "CustomRule",
}


class PolicyList(Model):
    count: int
    list: list[dict[str, Any]]


class ThrottlePolicyDetails(Model):
    uuid: str
    policyName: str
    displayName: str | None = None
    description: str | None = None
    isDeployed: bool = True
    type: str


class ThrottlePolicyDetailsList(Model):
    count: int
    list: list[ThrottlePolicyDetails]


class ExportThrottlePolicy(Model):
    type: str = "throttling policy"
    subtype: str
    version: str = "v4.3.0"
    data: dict[str, Any]
