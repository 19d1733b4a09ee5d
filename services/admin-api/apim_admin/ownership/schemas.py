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
