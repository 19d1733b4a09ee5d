from typing import Any

from pydantic import BaseModel, Field

from apim_common.pagination import Pagination


class ApiResult(BaseModel):
    provider: str = ""
    name: str = ""
    version: str = ""
    id: str = ""


class SearchResultList(BaseModel):
    apis: list[ApiResult]
    count: int
    pagination: Pagination = Field(default_factory=Pagination)


class ApplicationInfo(BaseModel):
    applicationId: str = ""
    name: str = ""
    owner: str = ""
    status: str = ""
    groupId: str = ""


class ApplicationList(BaseModel):
    count: int
    list: list[ApplicationInfo]
    pagination: Pagination = Field(default_factory=Pagination)


class ScopeInfo(BaseModel):
    key: str = ""
    name: str = ""
    roles: list[str] = []
    description: str | None = None


class ApplicationAdminView(BaseModel):
    """WSO2 Admin v4's Application: one application with its details, never its keys."""

    applicationId: str
    name: str
    throttlingPolicy: str = ""
    description: str | None = None
    tokenType: str = "JWT"
    status: str = ""
    groups: list[str] = []
    subscriptionCount: int = 0
    attributes: dict[str, Any] = {}
    subscriptionScopes: list[ScopeInfo] = []
    owner: str = ""
    hashEnabled: bool = False
