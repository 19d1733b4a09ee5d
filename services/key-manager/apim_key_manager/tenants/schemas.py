"""Bodies of the internal tenant creation and status change."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    domain: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}$")
    adminUsername: str = Field(min_length=1, max_length=255, pattern=r"^[^@\s]+$")
    adminPassword: str = Field(min_length=1, max_length=1024)
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None


class TenantStatusUpdate(BaseModel):
    status: Literal["ACTIVE", "INACTIVE"]


class TenantStatusPublic(BaseModel):
    domain: str
    status: str


class TenantPublic(BaseModel):
    domain: str
    adminUsername: str
    status: str
