from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class VHost(Model):
    host: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.\-]+$")
    httpContext: str = ""
    httpPort: int | None = Field(default=80, ge=1, le=65535)
    httpsPort: int | None = Field(default=443, ge=1, le=65535)
    wsPort: int | None = Field(default=9099, ge=1, le=65535)
    wsHost: str | None = None
    wssPort: int | None = Field(default=8099, ge=1, le=65535)
    wssHost: str | None = None


class AdditionalProperty(Model):
    key: str
    value: str


class GatewayEnvironmentProtocolURI(Model):
    protocol: str
    endpointURI: str


class Environment(Model):
    id: str | None = None
    name: str = Field(min_length=1, max_length=255, pattern=r"^[a-zA-Z0-9_-]+$")
    displayName: str | None = Field(default=None, max_length=255)
    provider: str = "wso2"
    type: Literal["hybrid", "production", "sandbox"] = "hybrid"
    gatewayType: str = "Regular"
    description: str | None = Field(default=None, max_length=1023)
    isReadOnly: bool = False
    vhosts: list[VHost] = Field(min_length=1)
    endpointURIs: list[GatewayEnvironmentProtocolURI] = Field(default_factory=list)
    additionalProperties: list[AdditionalProperty] = Field(default_factory=list)


class EnvironmentList(Model):
    count: int
    list: list[Environment]
