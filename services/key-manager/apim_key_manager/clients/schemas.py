"""Bodies of DCR (WSO2's RegistrationProfile / OAuthApplicationInfo) and of the internal client API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegistrationProfile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clientName: str = Field(min_length=1, max_length=255)
    owner: str | None = None
    grantType: str = ""
    callbackUrl: str | None = None
    saasApp: bool = False
    tokenType: str = "JWT"
    tokenScope: str | None = None
    audience: str | None = None


class OAuthApplicationInfo(BaseModel):
    clientId: str
    clientName: str
    callBackURL: str | None
    clientSecret: str
    isSaasApplication: bool
    appOwner: str
    jsonString: str
    jsonAppAttribute: str = "{}"
    applicationUUID: str
    tokenType: str


class ClientCreate(BaseModel):
    """A devportal application's OAuth client."""

    model_config = ConfigDict(extra="ignore")

    clientName: str = Field(min_length=1, max_length=255)
    # ``admin`` or ``bob@acme.com``: the application owner, who tokens of the client act for.
    owner: str = Field(min_length=1, max_length=255)
    grantTypes: list[str] = Field(default_factory=lambda: ["client_credentials"])
    callbackUrl: str = ""
    saasApp: bool = False
    applicationId: str | None = None


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    grantTypes: list[str] | None = None
    callbackUrl: str | None = None


class ClientPublic(BaseModel):
    clientId: str
    clientSecret: str
    clientName: str
    owner: str
    tenant: str
    grantTypes: list[str]
    callbackUrl: str
    applicationId: str


class ClientSecret(BaseModel):
    clientId: str
    clientSecret: str
