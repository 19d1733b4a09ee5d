from typing import Any, Literal

from pydantic import BaseModel


class KeyManagerApplicationConfiguration(BaseModel):
    name: str
    label: str | None = None
    type: str | None = None
    required: bool = False
    mask: bool = False
    multiple: bool = False
    tooltip: str | None = None
    default: Any = None
    values: list[Any] = []


class KeyManagerInfo(BaseModel):
    id: str | None = None
    name: str
    type: str
    displayName: str | None = None
    description: str | None = None
    enabled: bool = True
    availableGrantTypes: list[str] = []
    tokenEndpoint: str | None = None
    revokeEndpoint: str | None = None
    userInfoEndpoint: str | None = None
    enableTokenGeneration: bool = True
    enableTokenEncryption: bool = False
    enableTokenHashing: bool = False
    enableOAuthAppCreation: bool = True
    enableMapOAuthConsumerApps: bool = True
    applicationConfiguration: list[KeyManagerApplicationConfiguration] = []
    alias: str | None = None
    additionalProperties: dict[str, Any] = {}
    tokenType: Literal["EXCHANGED", "DIRECT", "BOTH"] = "DIRECT"


class KeyManagerList(BaseModel):
    count: int
    list: list[KeyManagerInfo]
