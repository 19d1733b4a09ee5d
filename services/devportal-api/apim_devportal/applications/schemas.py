from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apim_common.inputs import CheckedName
from apim_common.pagination import Pagination
from apim_devportal.keys.schemas import ApplicationKey


class ApplicationIn(BaseModel):
    """The body of create and update; read-only fields a client sends (status, owner...) are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: CheckedName = Field(min_length=1, max_length=100, pattern=r"^[^~!@#;:%^*()+={}|\\<>\"',&$\[\]/]*$")
    throttlingPolicy: str = Field(min_length=1)
    description: str | None = Field(default=None, max_length=512)
    tokenType: Literal["JWT", "OAUTH"] = "JWT"
    groups: list[str] = []
    attributes: dict[str, str] = {}


class ScopeInfo(BaseModel):
    key: str
    name: str
    roles: list[str] = []
    description: str | None = None


class ApplicationPublic(BaseModel):
    applicationId: str
    name: str
    throttlingPolicy: str
    description: str | None = None
    tokenType: str = "JWT"
    status: str
    groups: list[str] = []
    subscriptionCount: int = 0
    keys: list[ApplicationKey] = []
    attributes: dict[str, Any] = {}
    subscriptionScopes: list[ScopeInfo] = []
    owner: str
    hashEnabled: bool = False
    createdTime: str | None = None
    updatedTime: str | None = None


class ApplicationInfo(BaseModel):
    applicationId: str
    name: str
    throttlingPolicy: str
    description: str | None = None
    status: str
    groups: list[str] = []
    subscriptionCount: int = 0
    attributes: dict[str, Any] = {}
    owner: str
    tokenType: str = "JWT"
    createdTime: str | None = None
    updatedTime: str | None = None


class ApplicationList(BaseModel):
    count: int
    list: list[ApplicationInfo]
    pagination: Pagination


class WorkflowResponse(BaseModel):
    workflowStatus: Literal["CREATED", "APPROVED", "REJECTED", "REGISTERED"]
    jsonPayload: str = ""
