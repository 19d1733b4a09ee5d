"""WSO2's Publisher v4 API DTO and its parts, written for this service."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from apim_common.inputs import refuse_unusual_characters
from apim_common.policy_specs import CORS_WILDCARD_WITH_CREDENTIALS, cors_origins_allow_credentials
from apim_publisher.apis.endpoint_security import EndpointSecurity
from apim_publisher.apis.websub_config import WebsubSubscriptionConfiguration

# WSO2 refuses these in API names (spaces are allowed since 4.3).
NAME_FORBIDDEN = re.compile(r"[~!@#;:%^*()+={}|\\<>\"',&$\[\]/]")
# A context is a path: no spaces and none of the name's forbidden characters except '/'.
CONTEXT_FORBIDDEN = re.compile(r"[\s~!@#;:%^*()+=|\\<>\"',&$\[\]]")
VERSION_PATTERN = re.compile(r"^[^~!@#;:%^*()+={}|\\<>\"',&$\[\]/\s]+$")

HTTP_VERBS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
# The operations (topics) of streaming APIs.
STREAMING_VERBS = ("SUBSCRIBE", "PUBLISH")
STREAMING_TYPES = frozenset(("WS", "WEBSUB", "SSE", "WEBHOOK", "ASYNC"))
# The operations of a GraphQL API: one per root field of its schema, named by the field.
GRAPHQL_VERBS = ("QUERY", "MUTATION", "SUBSCRIPTION")
GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
DEFAULT_AUTH_TYPE = "Application & Application User"
DEFAULT_SECURITY_SCHEME = ["oauth2", "oauth_basic_auth_api_key_mandatory"]
SecurityScheme = Literal[
    "oauth2",
    "api_key",
    "basic_auth",
    "mutualssl",
    "mutualssl_mandatory",
    "oauth_basic_auth_api_key_mandatory",
]
ROUND_ROBIN = "org.apache.synapse.endpoints.algorithms.RoundRobin"
LifecycleStatus = Literal["CREATED", "PROTOTYPED", "PUBLISHED", "BLOCKED", "DEPRECATED", "RETIRED"]
APPLICATION_SCHEMES = frozenset(("oauth2", "api_key", "basic_auth"))


def coherent_security_scheme(schemes: list[str]) -> list[str]:
    """A mandatory flag needs the scheme it makes mandatory; alone it would make nothing required."""
    chosen = set(schemes)
    if "mutualssl_mandatory" in chosen and "mutualssl" not in chosen:
        raise ValueError("mutualssl_mandatory needs mutualssl")
    if "oauth_basic_auth_api_key_mandatory" in chosen and not chosen & APPLICATION_SCHEMES:
        raise ValueError("oauth_basic_auth_api_key_mandatory needs one of oauth2, api_key, basic_auth")
    return schemes


class DTO(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class OperationPolicy(DTO):
    policyName: str = Field(min_length=1)
    policyVersion: str = "v1"
    policyId: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class OperationPolicies(DTO):
    """Ordered policy attachments per flow; array order is execution order."""

    request: list[OperationPolicy] = Field(default_factory=list)
    response: list[OperationPolicy] = Field(default_factory=list)
    fault: list[OperationPolicy] = Field(default_factory=list)


class Operation(DTO):
    id: str | None = None
    target: str = Field(min_length=1)
    verb: str
    authType: str = DEFAULT_AUTH_TYPE
    throttlingPolicy: str = "Unlimited"
    scopes: list[str] = Field(default_factory=list)
    usedProductIds: list[str] = Field(default_factory=list)
    payloadSchema: str | None = None
    uriMapping: str | None = None
    operationPolicies: OperationPolicies = Field(default_factory=OperationPolicies)

    @field_validator("payloadSchema", "uriMapping")
    @classmethod
    def _unset(cls, value: str | None) -> str | None:
        # WSO2 clients send both back as null; the gateway has no use for a value.
        if value:
            raise ValueError(
                "is not supported: validate payloads with enableSchemaValidation and map paths "
                "with the rewriteResourcePath policy"
            )
        return None

    @field_validator("verb")
    @classmethod
    def _known_verb(cls, value: str) -> str:
        verb = value.upper()
        known = HTTP_VERBS + STREAMING_VERBS + GRAPHQL_VERBS
        if verb not in known:
            raise ValueError(f"verb must be one of {', '.join(known)}")
        return verb

    @model_validator(mode="after")
    def _target(self) -> Operation:
        """A resource or topic is a path; a GraphQL operation is the name of a root field."""
        if self.verb in GRAPHQL_VERBS:
            if not GRAPHQL_NAME.match(self.target):
                raise ValueError(
                    f"target: a {self.verb} operation is named by a root field of the schema, "
                    f"not {self.target!r}"
                )
        elif not self.target.startswith("/"):
            self.target = f"/{self.target}"
        return self


class Scope(DTO):
    id: str | None = None
    name: str = Field(min_length=1, max_length=255)
    displayName: str | None = None
    description: str | None = None
    bindings: list[str] = Field(default_factory=list)


class APIScope(DTO):
    scope: Scope
    shared: bool = False


class MaxTps(DTO):
    production: int | None = Field(default=None, ge=0)
    productionTimeUnit: Literal["SECOND", "MINUTE", "HOUR"] = "SECOND"
    sandbox: int | None = Field(default=None, ge=0)
    sandboxTimeUnit: Literal["SECOND", "MINUTE", "HOUR"] = "SECOND"


class CorsConfiguration(DTO):
    corsConfigurationEnabled: bool = False
    accessControlAllowOrigins: list[str] = Field(default_factory=lambda: ["*"])
    accessControlAllowCredentials: bool = False
    accessControlAllowHeaders: list[str] = Field(
        default_factory=lambda: [
            "authorization",
            "Access-Control-Allow-Origin",
            "Content-Type",
            "SOAPAction",
            "apikey",
            "Internal-Key",
        ]
    )
    accessControlAllowMethods: list[str] = Field(
        default_factory=lambda: ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
    )

    @field_validator("accessControlAllowCredentials")
    @classmethod
    def _no_credentials_to_any_origin(cls, value: bool, info: ValidationInfo) -> bool:
        origins = info.data.get("accessControlAllowOrigins") or []
        if not cors_origins_allow_credentials(origins, value):
            raise ValueError(CORS_WILDCARD_WITH_CREDENTIALS)
        return value


class BusinessInformation(DTO):
    businessOwner: str | None = None
    businessOwnerEmail: str | None = None
    technicalOwner: str | None = None
    technicalOwnerEmail: str | None = None


# What is billed is a subscription tier's price (the admin API's tier monetization plans, billed by
# its provider: docs/decisions/0027), whichever API the subscription is to: an API's own switch is
# accepted only off, so an API never looks billed by something that does not bill it.
PRICED_PER_TIER = (
    "monetization is priced per subscription tier (the admin API's tier monetization plans), "
    "not switched on per API"
)


class Monetization(DTO):
    enabled: bool = False
    properties: dict[str, str] = Field(default_factory=dict)

    @field_validator("enabled")
    @classmethod
    def _not_enabled(cls, value: bool) -> bool:
        if value:
            raise ValueError(PRICED_PER_TIER)
        return value

    @field_validator("properties")
    @classmethod
    def _no_billing_properties(cls, value: dict[str, str]) -> dict[str, str]:
        if any(v for v in value.values()):
            raise ValueError(f"{PRICED_PER_TIER}, so an API has no monetization properties")
        return {}


class AdditionalProperty(DTO):
    name: str = Field(min_length=1)
    value: str
    # Shown on the API's tile in the developer portal (4.3).
    display: bool = False


class EndpointTimeouts(BaseModel):
    """An endpoint's ``config``: the two of WSO2's advanced settings the gateway applies, in ms.

    The others (retries, error codes, back-off factor) are refused rather than kept unused.
    """

    model_config = ConfigDict(extra="forbid")

    # How long the backend may take to answer.
    actionDuration: Annotated[float, Field(gt=0)] | None = None
    # How long the endpoint is left out after it failed.
    suspendDuration: Annotated[float, Field(gt=0)] | None = None

    @field_validator("actionDuration", "suspendDuration", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # WSO2's forms send an untouched setting as "".
        return None if value == "" else value


class Endpoint(BaseModel):
    """One backend URL; ``endpoint_type`` and ``template_not_supported`` are what WSO2's
    clients send with each endpoint of a group."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1)
    config: EndpointTimeouts | None = None
    endpoint_type: Literal["http"] | None = None
    template_not_supported: bool | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^(https?|wss?)://[^\s/]+", value, re.IGNORECASE):
            raise ValueError(
                "an endpoint URL must be an absolute http:// or https:// URL (ws:// or wss:// for a WS API)"
            )
        if "{" in value or "}" in value:
            raise ValueError(
                "an endpoint URL is sent as written: URL templates such as {uri.var.id} are not "
                "supported (rewrite the path with the rewriteResourcePath policy instead)"
            )
        return value


class EndpointConfig(BaseModel):
    """``http`` has one endpoint per side, ``load_balance`` a list, ``failover`` one plus failovers."""

    model_config = ConfigDict(extra="forbid")

    # "ws": a WebSocket API's single backend per side, as WSO2 writes it.
    endpoint_type: Literal["http", "load_balance", "failover", "ws"] = "http"
    production_endpoints: Endpoint | list[Endpoint] | None = None
    sandbox_endpoints: Endpoint | list[Endpoint] | None = None
    production_failovers: list[Endpoint] = Field(default_factory=list)
    sandbox_failovers: list[Endpoint] = Field(default_factory=list)
    algoCombo: str | None = None
    algoClassName: str | None = None
    sessionManagement: str | None = None
    sessionTimeOut: str | None = None
    failOver: bool | None = None
    # Backend credentials per side; secrets are sealed at rest and masked in every view.
    endpoint_security: EndpointSecurity | None = None

    @model_validator(mode="after")
    def _shape_fits_type(self) -> EndpointConfig:
        for side in ("production_endpoints", "sandbox_endpoints"):
            value = getattr(self, side)
            if self.endpoint_type == "load_balance":
                if isinstance(value, Endpoint):
                    setattr(self, side, [value])
            elif isinstance(value, list):
                if len(value) > 1:
                    raise ValueError(f"{side} of a {self.endpoint_type} endpoint holds one endpoint")
                setattr(self, side, value[0] if value else None)
        if self.endpoint_type != "failover" and (self.production_failovers or self.sandbox_failovers):
            raise ValueError("failover endpoints need endpoint_type failover")
        for name in ("algoCombo", "algoClassName"):
            if getattr(self, name) not in (None, "", ROUND_ROBIN):
                raise ValueError(f"{name}: the gateway balances load round robin only ({ROUND_ROBIN})")
        if (self.sessionManagement or "none").lower() != "none" or self.sessionTimeOut:
            raise ValueError(
                "sessionManagement, sessionTimeOut: the gateway keeps no session affinity; "
                "each request takes the next endpoint"
            )
        if self.failOver is False:
            raise ValueError("failOver: the gateway always tries the next endpoint when one fails")
        if self.endpoint_type == "load_balance" and not self.algoClassName:
            self.algoClassName = ROUND_ROBIN
        return self

    def has_endpoint(self) -> bool:
        return bool(self.production_endpoints or self.sandbox_endpoints)

    def urls(self) -> list[str]:
        found: list[str] = []
        for side in (
            "production_endpoints",
            "sandbox_endpoints",
            "production_failovers",
            "sandbox_failovers",
        ):
            value = getattr(self, side)
            for endpoint in value if isinstance(value, list) else [value] if value else []:
                found.append(endpoint.url)
        return found


# A SOAP-to-REST API's resources and mappings are generated from its WSDL.
SOAP_TO_REST_FROM_WSDL = (
    "type SOAPTOREST is made from a WSDL: POST /apis/import-wsdl with implementationType=SOAPTOREST "
    "generates its resources and mappings; for a pass-through SOAP API use type SOAP"
)


# cacheTimeout: the seconds a gateway answers from its response cache, one day at most (WSO2
# sets no bound; an in-memory answer older than a day is a mistake more often than a wish).
MAX_CACHE_TIMEOUT = 86_400
CacheTimeout = Annotated[int, Field(ge=1, le=MAX_CACHE_TIMEOUT)]
# Event and streaming APIs answer no request a response cache could keep.
UNCACHED_TYPES = frozenset(("WS", "WEBSUB", "SSE", "WEBHOOK", "ASYNC"))


# WSO2 4.3's values for features it has and this platform does not, when they are off: an API
# exported from WSO2 or read from its Publisher holds them (switches at false count as off too).
WSO2_FEATURES_OFF: dict[str, Any] = {"gatewayVendor": "wso2", "enableStore": True}
WSO2_SWITCHES = ("advertised", "enable")  # advertiseInfo, websubSubscriptionConfiguration


def feature_left_off(key: str, value: Any) -> bool:
    """Whether an unknown key asks for nothing: WSO2's value for "off", else empty or false."""
    if key in WSO2_FEATURES_OFF:
        return bool(WSO2_FEATURES_OFF[key] == value)
    if value in (None, False, "", [], {}):
        return True
    return isinstance(value, dict) and any(value.get(switch) is False for switch in WSO2_SWITCHES)


def both_transports(value: list[str]) -> list[str]:
    """``transport`` as the gateway serves it: every API on both, since TLS ends in front of it."""
    if set(value) != {"http", "https"}:
        raise ValueError(
            "the gateway serves every API over both http and https (TLS ends in front of it); "
            "send [http, https] and redirect plain http at the TLS terminator"
        )
    return value


class APIBody(DTO):
    """What a client sends to create or update an API."""

    name: str = Field(min_length=1, max_length=60)
    context: str = Field(min_length=1, max_length=200)
    version: str = Field(min_length=1, max_length=30)
    description: str | None = Field(default=None, max_length=32766)
    provider: str | None = None
    lifeCycleStatus: str | None = None
    isDefaultVersion: bool = False
    type: Literal["HTTP", "WS", "SOAPTOREST", "SOAP", "GRAPHQL", "WEBSUB", "SSE", "WEBHOOK", "ASYNC"] = "HTTP"
    transport: list[Literal["http", "https"]] = Field(default_factory=lambda: ["http", "https"])  # type: ignore[arg-type]
    tags: list[str] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    apiThrottlingPolicy: str | None = None
    authorizationHeader: str | None = None
    apiKeyHeader: str = Field(default="apiKey", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    securityScheme: list[SecurityScheme] = Field(default_factory=lambda: list(DEFAULT_SECURITY_SCHEME))  # type: ignore[arg-type]
    maxTps: MaxTps | None = None
    visibility: Literal["PUBLIC", "PRIVATE", "RESTRICTED"] = "PUBLIC"
    visibleRoles: list[str] = Field(default_factory=list)
    visibleTenants: list[str] = Field(default_factory=list)
    accessControl: Literal["NONE", "RESTRICTED"] = "NONE"
    accessControlRoles: list[str] = Field(default_factory=list)
    subscriptionAvailability: Literal["CURRENT_TENANT", "ALL_TENANTS", "SPECIFIC_TENANTS"] = "CURRENT_TENANT"
    subscriptionAvailableTenants: list[str] = Field(default_factory=list)
    apiPolicies: OperationPolicies = Field(default_factory=OperationPolicies)
    additionalProperties: list[AdditionalProperty] = Field(default_factory=list)
    monetization: Monetization = Field(default_factory=Monetization)
    businessInformation: BusinessInformation = Field(default_factory=BusinessInformation)
    corsConfiguration: CorsConfiguration = Field(default_factory=CorsConfiguration)
    # WebSub APIs: how the provider signs the events it posts to the gateway's hub.
    websubSubscriptionConfiguration: WebsubSubscriptionConfiguration | None = None
    endpointConfig: EndpointConfig | None = None
    endpointImplementationType: Literal["INLINE", "ENDPOINT", "MOCKED_OAS"] = "ENDPOINT"
    responseCachingEnabled: bool = False
    cacheTimeout: CacheTimeout = 300
    enableSchemaValidation: bool = False
    scopes: list[APIScope] = Field(default_factory=list)
    operations: list[Operation] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    keyManagers: list[str] = Field(default_factory=lambda: ["all"])
    # The one gateway this platform has; WSO2's other gateway types are refused.
    gatewayType: Literal["wso2/synapse"] = "wso2/synapse"
    # A GraphQL API answers introspection queries (__schema, __type) unless this is false.
    graphQLIntrospection: bool = True

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """A key that is neither a field nor shown by GET is refused, not dropped: WSO2 clients
        send back what GET returned, and anything else would be taken silently for nothing.
        WSO2's own keys for features this platform lacks pass when they leave the feature off."""
        if cls is APIBody and isinstance(data, dict):
            unknown = sorted(
                str(key)
                for key, value in data.items()
                if key not in APIPublic.model_fields and not feature_left_off(key, value)
            )
            if unknown:
                raise ValueError(f"unknown fields, not supported by this platform: {', '.join(unknown)}")
        return data

    @field_validator("transport")
    @classmethod
    def _both_transports(cls, value: list[str]) -> list[str]:
        return both_transports(value)

    @field_validator("visibleTenants")
    @classmethod
    def _no_visible_tenants(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError(
                "is not supported: an API shows in its own tenant's portal only; make it "
                "available to other tenants' applications with subscriptionAvailability"
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = refuse_unusual_characters(value.strip())
        found = NAME_FORBIDDEN.search(value)
        if not value or found:
            raise ValueError(
                f"the API name contains a forbidden character {found.group() if found else ''!r}"
            )
        return value

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        value = value.strip()
        found = CONTEXT_FORBIDDEN.search(value)
        if found:
            raise ValueError(f"the API context contains a forbidden character {found.group()!r}")
        value = "/" + value.strip("/")
        if value == "/" or "//" in value:
            raise ValueError("the API context must name a path such as /pizza")
        if value.startswith("/t/"):
            raise ValueError("the context may not start with /t/, which is kept for tenants")
        return value

    @field_validator("securityScheme")
    @classmethod
    def _coherent_security(cls, value: list[str]) -> list[str]:
        return coherent_security_scheme(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not VERSION_PATTERN.match(refuse_unusual_characters(value)):
            raise ValueError("the API version contains a space or a forbidden character")
        return value

    @model_validator(mode="after")
    def _implementation_fits_type(self) -> APIBody:
        if self.endpointImplementationType != "ENDPOINT" and self.type != "HTTP":
            raise ValueError(
                f"endpointImplementationType {self.endpointImplementationType} answers from an OpenAPI "
                f"definition, which only HTTP APIs have; a {self.type} API uses ENDPOINT"
            )
        return self

    @model_validator(mode="after")
    def _websub_configuration_fits_type(self) -> APIBody:
        config = self.websubSubscriptionConfiguration
        if config is not None and config.enable and self.type != "WEBSUB":
            raise ValueError(
                "websubSubscriptionConfiguration signs the events providers post to WEBSUB APIs; "
                f"a {self.type} API cannot enable it"
            )
        return self

    @model_validator(mode="after")
    def _schema_validation_fits_type(self) -> APIBody:
        if self.enableSchemaValidation and self.type != "HTTP":
            raise ValueError(
                "enableSchemaValidation validates against an OpenAPI definition, which only HTTP APIs "
                f"have; a {self.type} API cannot enable it"
            )
        return self

    @field_validator("responseCachingEnabled")
    @classmethod
    def _cacheable_type(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("type") in UNCACHED_TYPES:
            raise ValueError(
                f"a {info.data['type']} API has no responses a gateway could cache: "
                "response caching applies to HTTP, SOAP and GraphQL APIs"
            )
        return value

    @model_validator(mode="after")
    def _endpoints_fit_type(self) -> APIBody:
        """A WS API's gateway opens one WebSocket to its backend per side; every other API speaks
        HTTP to its backends."""
        config = self.endpointConfig
        if config is None:
            return self
        websocket = self.type == "WS"
        if websocket and config.endpoint_type not in ("ws", "http"):
            raise ValueError(
                f"endpointConfig.endpoint_type: a WS API has one backend per side, not {config.endpoint_type}"
            )
        if not websocket and config.endpoint_type == "ws":
            raise ValueError(f"endpointConfig.endpoint_type: ws is for WS APIs, not a {self.type} API")
        for url in config.urls():
            if url.lower().startswith(("ws://", "wss://")) != websocket:
                wanted = "ws:// or wss://" if websocket else "http:// or https://"
                raise ValueError(
                    f"endpointConfig: a {self.type} API's endpoint URL must be {wanted}, not {url}"
                )
        return self

    @model_validator(mode="after")
    def _verbs_fit_type(self) -> APIBody:
        for op in self.operations:
            if self.type not in STREAMING_TYPES and op.verb in STREAMING_VERBS:
                raise ValueError(
                    f"operation {op.verb} {op.target}: SUBSCRIBE and PUBLISH are the topics of "
                    f"streaming APIs (WS, WEBSUB, SSE, WEBHOOK, ASYNC), not of a {self.type} API"
                )
            if (self.type == "GRAPHQL") != (op.verb in GRAPHQL_VERBS):
                raise ValueError(
                    f"operation {op.verb} {op.target}: a GRAPHQL API's operations are QUERY, MUTATION "
                    "and SUBSCRIPTION (one per root field of its schema), and only a GRAPHQL API has them"
                )
        return self

    @model_validator(mode="after")
    def _introspection_fits_type(self) -> APIBody:
        if not self.graphQLIntrospection and self.type != "GRAPHQL":
            raise ValueError(
                f"graphQLIntrospection: only a GRAPHQL API answers introspection queries; "
                f"a {self.type} API cannot switch it off"
            )
        return self

    @model_validator(mode="after")
    def _scopes_exist(self) -> APIBody:
        names = {s.scope.name for s in self.scopes}
        for op in self.operations:
            missing = [s for s in op.scopes if s not in names]
            if missing:
                raise ValueError(f"operation {op.verb} {op.target} uses undefined scopes {missing}")
        seen: set[tuple[str, str]] = set()
        for op in self.operations:
            key = (op.verb, op.target)
            if key in seen:
                raise ValueError(f"operation {op.verb} {op.target} is defined twice")
            seen.add(key)
        return self


class APIServiceInfo(DTO):
    """The catalog service an API was made from, and whether the service has changed since."""

    key: str
    name: str
    version: str
    outdated: bool = False


class APIPublic(APIBody):
    """The API as the Publisher shows it."""

    id: str
    provider: str
    lifeCycleStatus: str
    hasThumbnail: bool = False
    isRevision: bool = False
    revisionedApiId: str | None = None
    revisionId: int = 0
    workflowStatus: str | None = None
    additionalPropertiesMap: dict[str, AdditionalProperty] = Field(default_factory=dict)
    createdTime: str | None = None
    lastUpdatedTime: str | None = None
    lastUpdatedTimestamp: str | None = None
    serviceInfo: APIServiceInfo | None = None


class APIInfo(DTO):
    id: str
    name: str
    description: str | None = None
    context: str
    version: str
    provider: str
    type: str
    lifeCycleStatus: str
    workflowStatus: str | None = None
    hasThumbnail: bool = False
    securityScheme: list[str] = Field(default_factory=list)
    isDefaultVersion: bool = False
    additionalProperties: list[AdditionalProperty] = Field(default_factory=list)
    additionalPropertiesMap: dict[str, AdditionalProperty] = Field(default_factory=dict)
    monetizedInfo: bool = False
    businessOwner: str | None = None
    businessOwnerEmail: str | None = None
    TechnicalOwner: str | None = None
    TechnicalOwnerEmail: str | None = None
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    createdTime: str | None = None
    updatedTime: str | None = None
    updatedBy: str | None = None
    gatewayType: str = "wso2/synapse"


class ResourcePath(DTO):
    id: int
    resourcePath: str
    httpVerb: str


class FileInfo(DTO):
    relativePath: str
    mediaType: str
