"""The marketplace assistant's resources, with WSO2 DevPortal v3's field names."""

from typing import Literal

from pydantic import BaseModel, Field


class ChatMessage(BaseModel):
    role: Literal["user", "assistant", "system"] = "user"
    content: str


class MarketplaceAssistantRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    history: list[ChatMessage] = Field(default_factory=list)


class MarketplaceAssistantApi(BaseModel):
    apiId: str
    apiName: str
    version: str


class MarketplaceAssistantResponse(BaseModel):
    response: str
    apis: list[MarketplaceAssistantApi] = Field(default_factory=list)


class MarketplaceAssistantApiCountResponse(BaseModel):
    # The APIs the assistant can suggest to the caller; ``limit`` -1: the index holds every API.
    count: int
    limit: int = -1
