"""SCIM request bodies for users and groups."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Name(BaseModel):
    model_config = ConfigDict(extra="ignore")

    givenName: str | None = None
    familyName: str | None = None


class MultiValue(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str
    display: str | None = None
    primary: bool | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userName: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=1024)
    name: Name | None = None
    emails: list[MultiValue | str] = Field(default_factory=list)
    roles: list[MultiValue] = Field(default_factory=list)
    active: bool = True

    def email_values(self) -> list[str]:
        return [e if isinstance(e, str) else e.value for e in self.emails]


class PatchOperation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    op: Literal["add", "replace", "remove", "Add", "Replace", "Remove"]
    path: str | None = None
    value: Any = None


class PatchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schemas: list[str] = Field(default_factory=list)
    Operations: list[PatchOperation] = Field(min_length=1)


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    displayName: str = Field(min_length=1, max_length=255)
    members: list[MultiValue] = Field(default_factory=list)
