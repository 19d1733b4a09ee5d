"""WSO2's APIProduct DTO: a versioned bundle of operations taken from several APIs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from apim_common.inputs import refuse_unusual_characters
from apim_publisher.apis.schemas import (
    CONTEXT_FORBIDDEN,
    DEFAULT_SECURITY_SCHEME,
    DTO,
    NAME_FORBIDDEN,
    VERSION_PATTERN,
    AdditionalProperty,
    BusinessInformation,
    CacheTimeout,
    CorsConfiguration,
    Monetization,
    Operation,
    SecurityScheme,
    both_transports,
    coherent_security_scheme,
)


class ProductAPI(DTO):
    """One member API and the operations of it the product exposes."""

    apiId: str = Field(min_length=1)
    name: str | None = None
    version: str | None = None
    operations: list[Operation] = Field(min_length=1)


class APIProductBody(DTO):
    name: str = Field(min_length=1, max_length=60)
    context: str = Field(min_length=1, max_length=200)
    version: str = Field(default="1.0.0", min_length=1, max_length=30)
    description: str | None = Field(default=None, max_length=32766)
    isDefaultVersion: bool = False
    transport: list[Literal["http", "https"]] = Field(default_factory=lambda: ["http", "https"])  # type: ignore[arg-type]
    tags: list[str] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=lambda: ["Unlimited"])
    apiThrottlingPolicy: str | None = None
    authorizationHeader: str | None = None
    apiKeyHeader: str = Field(default="apiKey", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    securityScheme: list[SecurityScheme] = Field(default_factory=lambda: list(DEFAULT_SECURITY_SCHEME))  # type: ignore[arg-type]
    visibility: Literal["PUBLIC", "PRIVATE", "RESTRICTED"] = "PUBLIC"
    visibleRoles: list[str] = Field(default_factory=list)
    accessControl: Literal["NONE", "RESTRICTED"] = "NONE"
    accessControlRoles: list[str] = Field(default_factory=list)
    subscriptionAvailability: Literal["CURRENT_TENANT", "ALL_TENANTS", "SPECIFIC_TENANTS"] = "CURRENT_TENANT"
    subscriptionAvailableTenants: list[str] = Field(default_factory=list)
    additionalProperties: list[AdditionalProperty] = Field(default_factory=list)
    monetization: Monetization = Field(default_factory=Monetization)
    businessInformation: BusinessInformation = Field(default_factory=BusinessInformation)
    corsConfiguration: CorsConfiguration = Field(default_factory=CorsConfiguration)
    responseCachingEnabled: bool = False
    cacheTimeout: CacheTimeout = 300
    categories: list[str] = Field(default_factory=list)
    apis: list[ProductAPI] = Field(min_length=1)

    @field_validator("transport")
    @classmethod
    def _both_transports(cls, value: list[str]) -> list[str]:
        return both_transports(value)

    @field_validator("securityScheme")
    @classmethod
    def _coherent_security(cls, value: list[str]) -> list[str]:
        return coherent_security_scheme(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = refuse_unusual_characters(value.strip())
        if not value or NAME_FORBIDDEN.search(value):
            raise ValueError("the product name is empty or contains a forbidden character")
        return value

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        value = "/" + value.strip().strip("/")
        if value == "/" or CONTEXT_FORBIDDEN.search(value) or "//" in value or value.startswith("/t/"):
            raise ValueError("the product context must name a path such as /shop")
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not VERSION_PATTERN.match(refuse_unusual_characters(value)):
            raise ValueError("the product version contains a space or a forbidden character")
        return value


def product_fields(body: APIProductBody) -> dict[str, Any]:
    """What ``API.spec`` keeps of a product (identity fields have their own columns)."""
    spec: dict[str, Any] = body.model_dump(
        mode="json", exclude={"name", "context", "version", "isDefaultVersion"}, exclude_none=True
    )
    return spec
