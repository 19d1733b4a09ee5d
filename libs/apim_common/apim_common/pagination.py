"""WSO2's list envelope: ``{count, list, pagination: {offset, limit, total, next, previous}}``."""

from __future__ import annotations

import builtins
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from apim_common.inputs import INT32_MAX

T = TypeVar("T")


class Pagination(BaseModel):
    offset: int = 0
    limit: int = 25
    total: int = 0
    next: str = ""
    previous: str = ""


class Page(BaseModel, Generic[T]):
    count: int
    list: list[T]
    pagination: Pagination = Field(default_factory=Pagination)

    @classmethod
    def of(cls, items: builtins.list[T], *, total: int, limit: int, offset: int, path: str = "") -> Page[T]:
        nxt = f"{path}?limit={limit}&offset={offset + limit}" if path and offset + limit < total else ""
        prev = f"{path}?limit={limit}&offset={max(offset - limit, 0)}" if path and offset > 0 else ""
        return cls(
            count=len(items),
            list=items,
            pagination=Pagination(offset=offset, limit=limit, total=total, next=nxt, previous=prev),
        )


class PageParams(BaseModel):
    limit: int
    offset: int


# A page's size and offset as query parameters, for a page named otherwise (``replyLimit``); the
# offset bounded as WSO2's int offset, so a huge one is a 400 rather than an overflow in the database.
LimitQuery = Annotated[int, Query(ge=1, le=1000)]
OffsetQuery = Annotated[int, Query(ge=0, le=INT32_MAX)]


def _page_params(limit: LimitQuery = 25, offset: OffsetQuery = 0) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page_params)]
