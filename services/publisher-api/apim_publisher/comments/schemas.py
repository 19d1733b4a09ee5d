"""WSO2 Publisher v4's comment shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from apim_common.pagination import Pagination


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=512)
    category: str = Field(default="general", min_length=1, max_length=20)


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(default=None, min_length=1, max_length=512)
    category: str | None = Field(default=None, min_length=1, max_length=20)


class CommenterInfo(BaseModel):
    firstName: str | None = None
    lastName: str | None = None
    fullName: str | None = None


class CommentList(BaseModel):
    count: int
    list: list[CommentPublic]
    pagination: Pagination


class CommentPublic(BaseModel):
    id: str
    content: str
    createdTime: str | None = None
    createdBy: str
    updatedTime: str | None = None
    category: str = "general"
    parentCommentId: str | None = None
    entryPoint: Literal["devPortal", "publisher"] = "publisher"
    commenterInfo: CommenterInfo | None = None
    replies: CommentList | None = None


CommentList.model_rebuild()
