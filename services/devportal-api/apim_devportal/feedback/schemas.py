from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from apim_common.pagination import Pagination


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rating: int = Field(ge=0, le=5)


class RatingPublic(BaseModel):
    ratingId: str
    apiId: str
    ratedBy: str
    rating: int


class RatingList(BaseModel):
    avgRating: str
    userRating: int = 0
    count: int
    list: list[RatingPublic]
    pagination: Pagination


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str = Field(min_length=1, max_length=512)
    category: str = "general"


class CommentPatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content: str | None = Field(default=None, min_length=1, max_length=512)
    category: str | None = None


class CommenterInfo(BaseModel):
    firstName: str | None = None
    lastName: str | None = None
    fullName: str | None = None


class CommentList(BaseModel):
    count: int
    list: "list[CommentPublic]"
    pagination: Pagination


class CommentPublic(BaseModel):
    id: str
    content: str
    createdTime: str | None = None
    createdBy: str
    updatedTime: str | None = None
    category: str = "general"
    parentCommentId: str | None = None
    entryPoint: Literal["devPortal", "publisher"] = "devPortal"
    commenterInfo: CommenterInfo | None = None
    replies: CommentList | None = None


CommentList.model_rebuild()
