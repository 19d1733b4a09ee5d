from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class KeyManagerEndpoint(Model):
    name: str = Field(min_length=1)
    value: str


class Certificates(Model):
    type: Literal["JWKS", "PEM"]
    value: str = Field(min_length=1)


class ClaimMappingEntry(Model):
    remoteClaim: str
    localClaim: str


class TokenValidation(Model):
    id: int | None = None
    enable: bool = True
    type: Literal["REFERENCE", "JWT", "CUSTOM"] | None = None
    value: Any = None


class Permissions(Model):
    permissionType: Literal["PUBLIC", "ALLOW", "DENY"] = "PUBLIC"
    roles: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _roles_when_restricted(self) -> Self:
        if self.permissionType != "PUBLIC" and not self.roles:
            raise ValueError(f"{self.permissionType} permissions need at least one role")
        return self


class KeyManager(Model):
    id: str | None = None
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^~!@#;:%^*()+={}|\\<>\"',&$\[\]/]+$")
    displayName: str | None = Field(default=None, max_length=100)
    type: str = Field(min_length=1, max_length=45)
    description: str | None = Field(default=None, max_length=256)
    wellKnownEndpoint: str | None = None
    introspectionEndpoint: str | None = None
    clientRegistrationEndpoint: str | None = None
    tokenEndpoint: str | None = None
    displayTokenEndpoint: str | None = None
    revokeEndpoint: str | None = None
    displayRevokeEndpoint: str | None = None
    userInfoEndpoint: str | None = None
    authorizeEndpoint: str | None = None
    endpoints: list[KeyManagerEndpoint] = Field(default_factory=list)
    certificates: Certificates | None = None
    issuer: str | None = None
    alias: str | None = None
    scopeManagementEndpoint: str | None = None
    availableGrantTypes: list[str] = Field(default_factory=list)
    enableTokenGeneration: bool = True
    enableTokenEncryption: bool = False
    enableTokenHashing: bool = False
    enableMapOAuthConsumerApps: bool = False
    enableOAuthAppCreation: bool = False
    enableSelfValidationJWT: bool = True
    claimMapping: list[ClaimMappingEntry] = Field(default_factory=list)
    consumerKeyClaim: str = "azp"
    scopesClaim: str = "scope"
    tokenValidation: list[TokenValidation] = Field(default_factory=list)
    enabled: bool = True
    global_: bool = Field(default=False, alias="global")
    additionalProperties: dict[str, Any] = Field(default_factory=dict)
    permissions: Permissions = Field(default_factory=Permissions)
    tokenType: Literal["EXCHANGED", "DIRECT", "BOTH"] = "DIRECT"
    # The one algorithm the key manager's tokens are signed with: gateways refuse the others, and the
    # resident key manager signs its tenant's access tokens with it. None: RS256 or ES256, as the
    # key says (the resident key manager then signs RS256).
    signingAlgorithm: Literal["RS256", "ES256"] | None = None

    model_config = ConfigDict(extra="ignore", populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _token_validation_source(self) -> Self:
        if self.enableSelfValidationJWT and self.type != "default" and self.certificates is None:
            raise ValueError(
                "a key manager that validates JWTs itself needs certificates (a JWKS URL or a PEM)"
            )
        if self.signingAlgorithm is not None and not self.enableSelfValidationJWT:
            raise ValueError(
                "signingAlgorithm applies to JWTs the gateways validate themselves: set"
                " enableSelfValidationJWT or leave signingAlgorithm out"
            )
        return self


class KeyManagerInfo(Model):
    id: str
    name: str
    displayName: str | None = None
    type: str
    description: str | None = None
    enabled: bool
    isGlobal: bool
    isUsed: bool
    tokenType: str = "DIRECT"


class KeyManagerList(Model):
    count: int
    list: list[KeyManagerInfo]


class KeyManagerWellKnownResponse(Model):
    valid: bool = False
    value: KeyManager | None = None


class APIInfoKeyManager(Model):
    id: str
    type: str
    name: str
    transportType: str = "HTTP"
    context: str
    version: str
    provider: str
    status: str
    keyManagerEntry: str


class KeyManagerAPIUsages(Model):
    apiCount: int
    apis: list[APIInfoKeyManager]


class ApplicationInfoKeyManager(Model):
    name: str
    uuid: str
    owner: str
    organization: str


class KeyManagerAppUsages(Model):
    applicationCount: int
    applications: list[ApplicationInfoKeyManager]
