"""/apis/{apiId}/comments: WSO2 Publisher v4's comment operations, scopes as WSO2 lists them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from apim_common.db import SessionDep
from apim_common.pagination import LimitQuery, OffsetQuery, PageDep
from apim_common.security import Principal, require_scopes
from apim_publisher.comments import service
from apim_publisher.comments.schemas import CommentCreate, CommentList, CommentPublic, CommentUpdate

router = APIRouter(prefix="/apis/{apiId}/comments", tags=["Comments"])

CommentRead = Annotated[
    Principal, Depends(require_scopes("apim:api_view", "apim:comment_view", "apim:comment_manage"))
]
CommentWrite = Annotated[Principal, Depends(require_scopes("apim:comment_write", "apim:comment_manage"))]
CommentDelete = Annotated[
    Principal, Depends(require_scopes("apim:comment_write", "apim:comment_manage", "apim:admin"))
]
IncludeCommenter = Annotated[bool, Query()]


@router.get("")
async def list_comments(
    apiId: str,
    request: Request,
    session: SessionDep,
    principal: CommentRead,
    page: PageDep,
    includeCommenterInfo: IncludeCommenter = False,
) -> CommentList:
    return await service.listing(session, request, principal, apiId, page, includeCommenterInfo)


@router.post("", status_code=201)
async def add_comment(
    apiId: str,
    body: CommentCreate,
    request: Request,
    session: SessionDep,
    principal: CommentWrite,
    replyTo: Annotated[str | None, Query(max_length=255)] = None,
) -> CommentPublic:
    return await service.add(session, request, principal, apiId, body, replyTo)


@router.get("/{commentId}")
async def get_comment(
    apiId: str,
    commentId: str,
    request: Request,
    session: SessionDep,
    principal: CommentRead,
    includeCommenterInfo: IncludeCommenter = False,
    replyLimit: LimitQuery = 25,
    replyOffset: OffsetQuery = 0,
) -> CommentPublic:
    return await service.one(
        session,
        request,
        principal,
        apiId,
        commentId,
        include_commenter=includeCommenterInfo,
        reply_limit=replyLimit,
        reply_offset=replyOffset,
    )


@router.patch("/{commentId}")
async def edit_comment(
    apiId: str,
    commentId: str,
    body: CommentUpdate,
    request: Request,
    session: SessionDep,
    principal: CommentWrite,
) -> CommentPublic:
    return await service.edit(session, request, principal, apiId, commentId, body)


@router.delete("/{commentId}")
async def delete_comment(
    apiId: str, commentId: str, request: Request, session: SessionDep, principal: CommentDelete
) -> Response:
    await service.delete(session, request, principal, apiId, commentId)
    return Response(status_code=200)


@router.get("/{commentId}/replies")
async def list_replies(
    apiId: str,
    commentId: str,
    request: Request,
    session: SessionDep,
    principal: CommentRead,
    page: PageDep,
    includeCommenterInfo: IncludeCommenter = False,
) -> CommentList:
    return await service.replies(session, request, principal, apiId, commentId, page, includeCommenterInfo)
