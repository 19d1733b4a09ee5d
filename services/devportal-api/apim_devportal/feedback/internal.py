"""The comment store as the publisher reaches it (service token, scope ``apim:internal``).

The publisher has already checked that its caller may see the API; it names the caller with
``user`` and ``tenant``, and ``moderator`` when the caller may delete any comment of the API's
tenant. Comments made here are marked with the publisher's entry point.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from apim_common.db import SessionDep
from apim_common.pagination import LimitQuery, OffsetQuery, PageDep
from apim_common.security import InternalPrincipal, Principal
from apim_devportal.feedback import service
from apim_devportal.feedback.schemas import CommentIn, CommentList, CommentPatch, CommentPublic

router = APIRouter(prefix="/internal/apis/{apiId}/comments", tags=["Internal"])

User = Annotated[str, Query(min_length=1, max_length=255)]
Tenant = Annotated[str, Query(min_length=1, max_length=255)]


def _caller(user: str, tenant: str, moderator: bool = False) -> Principal:
    return Principal(username=user, tenant=tenant, scopes=frozenset({"apim:admin"} if moderator else ()))


@router.get("")
async def list_comments(
    apiId: str, session: SessionDep, _: InternalPrincipal, page: PageDep, includeCommenterInfo: bool = False
) -> CommentList:
    return await service.comments_page(
        session, apiId, limit=page.limit, offset=page.offset, include_commenter=includeCommenterInfo
    )


@router.post("", status_code=201)
async def add_comment(
    apiId: str,
    body: CommentIn,
    user: User,
    tenant: Tenant,
    session: SessionDep,
    _: InternalPrincipal,
    replyTo: str | None = None,
) -> CommentPublic:
    return await service.add_comment(
        session, _caller(user, tenant), apiId, body, replyTo, entry_point="publisher"
    )


@router.get("/{commentId}")
async def get_comment(
    apiId: str,
    commentId: str,
    session: SessionDep,
    _: InternalPrincipal,
    includeCommenterInfo: bool = False,
    replyLimit: LimitQuery = 25,
    replyOffset: OffsetQuery = 0,
) -> CommentPublic:
    return await service.comment(
        session,
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
    body: CommentPatch,
    user: User,
    tenant: Tenant,
    session: SessionDep,
    _: InternalPrincipal,
) -> CommentPublic:
    return await service.edit_comment(session, _caller(user, tenant), apiId, commentId, body)


@router.delete("/{commentId}")
async def delete_comment(
    apiId: str,
    commentId: str,
    user: User,
    tenant: Tenant,
    session: SessionDep,
    _: InternalPrincipal,
    moderator: bool = False,
) -> Response:
    """``tenant`` is also the API's: the publisher serves only its caller's tenant's APIs."""
    await service.delete_comment(session, _caller(user, tenant, moderator), apiId, tenant, commentId)
    return Response(status_code=200)


@router.get("/{commentId}/replies")
async def list_replies(
    apiId: str,
    commentId: str,
    session: SessionDep,
    _: InternalPrincipal,
    page: PageDep,
    includeCommenterInfo: bool = False,
) -> CommentList:
    return await service.replies(
        session,
        apiId,
        commentId,
        limit=page.limit,
        offset=page.offset,
        include_commenter=includeCommenterInfo,
    )
