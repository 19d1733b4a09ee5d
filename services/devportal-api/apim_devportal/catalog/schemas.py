from typing import Any, Literal

from pydantic import BaseModel

from apim_common.pagination import Pagination


class APIBusinessInformation(BaseModel):
    businessOwner: str | None = None
    businessOwnerEmail: str | None = None
    technicalOwner: str | None = None
    technicalOwnerEmail: str | None = None


class AdvertiseInfo(BaseModel):
    advertised: bool = False
    apiExternalProductionEndpoint: str | None = None
    apiExternalSandboxEndpoint: str | None = None
    originalDevPortalUrl: str | None = None
    apiOwner: str | None = None
    vendor: Literal["WSO2", "AWS"] = "WSO2"


class APIInfo(BaseModel):
    id: str
    name: str
    description: str | None = None
    context: str
    version: str
    type: str = "HTTP"
    createdTime: str | None = None
    provider: str
    lifeCycleStatus: str
    thumbnailUri: str | None = None
    avgRating: str = "0.0"
    throttlingPolicies: list[str] = []
    advertiseInfo: AdvertiseInfo = AdvertiseInfo()
    businessInformation: APIBusinessInformation = APIBusinessInformation()
    isSubscriptionAvailable: bool = True
    monetizationLabel: str = "FREE"
    gatewayVendor: str = "wso2"
    additionalProperties: list[dict[str, Any]] = []
    monetizedInfo: bool = False
    tags: list[str] = []
    categories: list[str] = []


class APIList(BaseModel):
    count: int
    list: list[APIInfo]
    pagination: Pagination


class APIOperations(BaseModel):
    id: str | None = None
    target: str
    verb: str


class ScopeInfo(BaseModel):
    key: str
    name: str
    roles: list[str] = []
    description: str | None = None


class APITier(BaseModel):
    tierName: str
    tierPlan: str = "FREE"
    monetizationAttributes: dict[str, Any] | None = None


class APIURLs(BaseModel):
    http: str | None = None
    https: str | None = None
    ws: str | None = None
    wss: str | None = None


class APIEndpointURL(BaseModel):
    environmentName: str
    environmentDisplayName: str
    environmentType: str = "hybrid"
    URLs: APIURLs
    defaultVersionURLs: APIURLs


class APIMonetizationInfo(BaseModel):
    enabled: bool = False


class APIPublic(BaseModel):
    id: str
    name: str
    description: str | None = None
    context: str
    version: str
    provider: str
    apiDefinition: str | None = None
    wsdlUri: str | None = None
    lifeCycleStatus: str
    isDefaultVersion: bool = False
    type: str = "HTTP"
    transport: list[str] = []
    operations: list[APIOperations] = []
    authorizationHeader: str | None = None
    apiKeyHeader: str | None = None
    securityScheme: list[str] = []
    tags: list[str] = []
    tiers: list[APITier] = []
    hasThumbnail: bool = False
    additionalProperties: list[dict[str, Any]] = []
    monetization: APIMonetizationInfo = APIMonetizationInfo()
    endpointURLs: list[APIEndpointURL] = []
    businessInformation: APIBusinessInformation = APIBusinessInformation()
    environmentList: list[str] = []
    scopes: list[ScopeInfo] = []
    avgRating: str = "0.0"
    subscriptions: int = 0
    advertiseInfo: AdvertiseInfo = AdvertiseInfo()
    isSubscriptionAvailable: bool = True
    categories: list[str] = []
    keyManagers: list[str] = ["all"]
    createdTime: str | None = None
    lastUpdatedTime: str | None = None
    gatewayVendor: str = "wso2"
    asyncTransportProtocols: list[str] = []


class Document(BaseModel):
    documentId: str
    name: str
    type: str = "HOWTO"
    summary: str | None = None
    sourceType: str = "INLINE"
    sourceUrl: str | None = None
    otherTypeName: str | None = None


class DocumentList(BaseModel):
    count: int
    list: list[Document]
    pagination: Pagination


class Tag(BaseModel):
    value: str
    count: int


class Topic(BaseModel):
    apiId: str
    name: str
    type: str


class APICategory(BaseModel):
    id: str
    name: str
    description: str | None = None


class APICategoryList(BaseModel):
    count: int
    list: list[APICategory]


class SearchResult(BaseModel):
    id: str
    name: str
    type: Literal["API", "APIPRODUCT", "DOC"] = "API"
    transportType: str = "HTTP"
    description: str | None = None
    context: str
    version: str
    provider: str
    status: str
    thumbnailUri: str | None = None
    businessInformation: APIBusinessInformation = APIBusinessInformation()
    avgRating: str = "0.0"
    monetizedInfo: bool = False
    # How well the API matches the query's words (0 when the query has none).
    score: float = 0.0


class SearchResultList(BaseModel):
    count: int
    list: list[SearchResult]
    pagination: Pagination


class GraphQLCustomComplexityInfo(BaseModel):
    type: str
    field: str
    complexityValue: int


class GraphQLQueryComplexityInfo(BaseModel):
    list: list[GraphQLCustomComplexityInfo]


class GraphQLSchemaType(BaseModel):
    type: str
    fieldList: list[str]


class GraphQLSchemaTypeList(BaseModel):
    typeList: list[GraphQLSchemaType]
