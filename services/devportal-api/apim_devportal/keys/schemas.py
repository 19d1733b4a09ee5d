from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from apim_common.inputs import INT32_MAX, Int32

KeyType = Literal["PRODUCTION", "SANDBOX"]


class ApplicationToken(BaseModel):
    accessToken: str
    tokenScopes: list[str] = []
    validityTime: int = 3600


class ApplicationKey(BaseModel):
    keyMappingId: str
    keyManager: str
    consumerKey: str
    consumerSecret: str | None = None
    supportedGrantTypes: list[str] = []
    callbackUrl: str | None = None
    keyState: str = "COMPLETED"
    keyType: KeyType
    mode: Literal["MAPPED", "CREATED"] = "CREATED"
    groupId: str | None = None
    token: ApplicationToken | None = None
    additionalProperties: dict[str, Any] = {}


class ApplicationKeyList(BaseModel):
    count: int
    list: list[ApplicationKey]


class ApplicationKeyGenerateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    keyType: KeyType
    keyManager: str = "Resident Key Manager"
    grantTypesToBeSupported: list[str] = Field(min_length=1)
    callbackUrl: str | None = None
    scopes: list[str] = ["default"]
    # A string in WSO2's definition; clients send a number too.
    validityTime: Int32 = 3600
    clientId: str | None = None
    clientSecret: str | None = None
    additionalProperties: dict[str, Any] = {}

    @field_validator("validityTime", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip().lstrip("-").isdigit() else value


class ApplicationKeyMappingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    consumerKey: str = Field(min_length=1)
    consumerSecret: str | None = None
    keyManager: str = "Resident Key Manager"
    keyType: KeyType


class ApplicationKeyUpdate(BaseModel):
    """PUT oauth-keys/{id}: what may change of a key mapping (WSO2 sends the whole ApplicationKey)."""

    model_config = ConfigDict(extra="ignore")

    supportedGrantTypes: list[str] | None = None
    callbackUrl: str | None = None
    additionalProperties: dict[str, Any] | None = None


class ApplicationKeyReGenerateResponse(BaseModel):
    consumerKey: str
    consumerSecret: str


class ApplicationTokenGenerateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    consumerSecret: str | None = None
    validityPeriod: Int32 = 3600
    scopes: list[str] = []
    revokeToken: str | None = None
    grantType: Literal["CLIENT_CREDENTIALS", "TOKEN_EXCHANGE"] = "CLIENT_CREDENTIALS"
    additionalProperties: dict[str, Any] = {}


class APIKeyGenerateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Seconds; -1 (or 0) for a key that does not expire.
    validityPeriod: int = Field(default=-1, ge=-1, le=INT32_MAX)
    # WSO2 reads permittedIP and permittedReferer (comma-separated) from here.
    additionalProperties: dict[str, Any] = {}


class APIKey(BaseModel):
    apikey: str
    validityTime: int


class APIKeyRevokeRequest(BaseModel):
    apikey: str = Field(min_length=1)
