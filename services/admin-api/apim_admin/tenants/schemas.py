from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr

DOMAIN = r"^[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)+$"


class TenantCreate(BaseModel):
    domain: str = Field(min_length=3, max_length=255, pattern=DOMAIN)
    adminUsername: str = Field(min_length=1, max_length=255, pattern=r"^[^@\s/]+$")
    adminPassword: SecretStr = Field(min_length=5)
    firstName: str = ""
    lastName: str = ""
    email: str = ""


class TenantStatusUpdate(BaseModel):
    status: Literal["ACTIVE", "INACTIVE"]


class TenantPublic(BaseModel):
    domain: str
    tenantId: int
    status: str
    adminUsername: str
    firstName: str
    lastName: str
    email: str
    createdTime: datetime


class TenantList(BaseModel):
    count: int
    list: list[TenantPublic]
    pagination: dict[str, Any] = Field(default_factory=dict)


class TenantInfo(BaseModel):
    username: str
    tenantDomain: str
    tenantId: int


class CustomUrlInfo(BaseModel):
    tenantDomain: str
    tenantAdminUsername: str
    enabled: bool
    devPortal: dict[str, Any]
