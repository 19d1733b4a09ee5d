"""API chat's resources, with WSO2 DevPortal v3's field names (``inputs`` carries ours besides)."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ApiChatAction(StrEnum):
    PREPARE = "PREPARE"
    EXECUTE = "EXECUTE"


class TaskStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    TERMINATED = "TERMINATED"
    COMPLETED = "COMPLETED"


class ApiSpec(BaseModel):
    serviceUrl: str | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)


class ApiResponse(BaseModel):
    """What the client's call answered, posted back for the next step."""

    code: int | None = None
    path: str | None = None
    headers: dict[str, Any] = Field(default_factory=dict)
    body: Any = None


class ApiChatRequest(BaseModel):
    apiChatRequestId: str | None = None
    command: str | None = Field(default=None, max_length=4000)
    apiSpec: ApiSpec | None = None
    response: ApiResponse | None = None


class Resource(BaseModel):
    """The next call: ``path`` is the template; ``inputs`` holds ``parameters`` (path and query
    values, as WSO2), and ours: ``queryParameters``, ``headers``, ``requestBody`` and the filled
    ``requestPath``."""

    method: str
    path: str
    inputs: dict[str, Any] = Field(default_factory=dict)


class SampleQuery(BaseModel):
    scenario: str
    query: str


class ApiChatResponse(BaseModel):
    apiChatRequestId: str | None = None
    apiSpec: ApiSpec | None = None
    taskStatus: TaskStatus | None = None
    resource: Resource | None = None
    result: str | None = None
    queries: list[SampleQuery] | None = None
