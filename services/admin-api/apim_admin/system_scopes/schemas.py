from pydantic import BaseModel, Field


class Scope(BaseModel):
    tag: str | None = None
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9:_\-.]+$")
    description: str | None = None
    roles: list[str] = Field(default_factory=list)


class ScopeList(BaseModel):
    count: int = 0
    list: list[Scope]


class ScopeSettings(BaseModel):
    name: str


class RoleAlias(BaseModel):
    role: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class RoleAliasList(BaseModel):
    count: int = 0
    list: list[RoleAlias]
