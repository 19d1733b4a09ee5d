"""The Service Catalog v1 shapes: a service's metadata as sent and as shown."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DefinitionType = Literal["OAS2", "OAS3", "WSDL1", "WSDL2", "GRAPHQL_SDL", "ASYNC_API"]
SecurityType = Literal["BASIC", "DIGEST", "OAUTH2", "X509", "API_KEY", "NONE"]


class ServiceBody(BaseModel):
    """``serviceMetadata`` of a create or update. The read-only fields GET shows may come back and
    are not taken; any other key is refused."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, pattern=r"^[^*]+$")
    displayName: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    version: str = Field(min_length=1, max_length=50, pattern=r"^[^~!@#;:%^*()+={}|\\<>\"',&/$\s]+$")
    serviceKey: str | None = Field(default=None, min_length=1, max_length=512, pattern=r"^[A-Za-z0-9._-]+$")
    serviceUrl: str | None = Field(default=None, max_length=2048)
    definitionType: DefinitionType
    securityType: SecurityType = "NONE"
    mutualSSLEnabled: bool = False
    # Shown by GET; what a client sends back of them is not taken.
    id: str | None = None
    usage: int | None = None
    createdTime: str | None = None
    lastUpdatedTime: str | None = None
    md5: str | None = None

    @field_validator("securityType")
    @classmethod
    def _no_backend_security(cls, value: str) -> str:
        # Nothing would act on it: an API made from the service has its own endpoint security.
        if value != "NONE":
            raise ValueError(
                "only NONE is taken: the platform does not secure calls to a catalog service; "
                "set endpoint security on the API made from it"
            )
        return value

    @field_validator("mutualSSLEnabled")
    @classmethod
    def _no_mutual_ssl(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "only false is taken: the platform does not present a client certificate to a catalog "
                "service; set it on the API made from it"
            )
        return value

    @field_validator("serviceUrl")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("the service URL must be an http:// or https:// URL")
        return value


class ServicePublic(BaseModel):
    id: str
    name: str
    displayName: str | None = None
    description: str | None = None
    version: str
    serviceKey: str
    serviceUrl: str | None = None
    definitionType: str
    securityType: str
    mutualSSLEnabled: bool
    usage: int
    createdTime: str
    lastUpdatedTime: str
    md5: str


class ServiceInfo(BaseModel):
    """A service's identity as an import of the catalog reports it."""

    id: str
    name: str
    version: str
    serviceKey: str
    md5: str
