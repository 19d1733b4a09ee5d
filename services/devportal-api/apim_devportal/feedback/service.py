"""Ratings (one per user and API, 0-5) and comments with replies on APIs the caller can see."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Forbidden, NotFound
from apim_common.pagination import Pagination
from apim_common.security import Principal
from apim_devportal.common import epoch_millis, is_admin, new_id, utcnow
from apim_devportal.feedback.models import Comment, Rating
from apim_devportal.feedback.repository import CommentRepository, RatingRepository
from apim_devportal.feedback.schemas import CommenterInfo, CommentIn, CommentList, CommentPatch, CommentPublic

# Replies shown inline under a comment, as WSO2 does.
INLINE_REPLIES = 3


async def rate(session: AsyncSession, principal: Principal, api_id: str, value: int) -> Rating:
    repository = RatingRepository(session)
    rating = await repository.by_user(api_id, principal.tenant, principal.username)
    if rating is None:
        rating = await repository.add(
            Rating(
                id=new_id(), api_id=api_id, tenant=principal.tenant, rated_by=principal.username, rating=value
            )
        )
    rating.rating = value
    await session.flush()
    return rating


async def comment_of(session: AsyncSession, api_id: str, comment_id: str) -> Comment:
    comment = await CommentRepository(session).get(comment_id)
    if comment is None or comment.api_id != api_id:
        raise NotFound(f"Comment {comment_id} not found")
    return comment


async def add_comment(
    session: AsyncSession,
    principal: Principal,
    api_id: str,
    body: CommentIn,
    reply_to: str | None,
    entry_point: str = "devPortal",
) -> CommentPublic:
    if reply_to:
        parent = await comment_of(session, api_id, reply_to)
        if parent.parent_id is not None:
            raise BadRequest("Replies are made to comments, not to other replies")
    comment = Comment(
        id=new_id(),
        api_id=api_id,
        tenant=principal.tenant,
        parent_id=reply_to or None,
        content=body.content,
        category=body.category or "general",
        entry_point=entry_point,
        created_by=principal.username,
        created_at=utcnow(),
    )
    added = await CommentRepository(session).add(comment)
    return await public(session, added, include_commenter=True)


async def edit_comment(
    session: AsyncSession, principal: Principal, api_id: str, comment_id: str, body: CommentPatch
) -> CommentPublic:
    comment = await comment_of(session, api_id, comment_id)
    if comment.created_by != principal.username or comment.tenant != principal.tenant:
        raise Forbidden("Only the author may edit a comment")
    if body.content is not None:
        comment.content = body.content
    if body.category is not None:
        comment.category = body.category
    comment.updated_at = utcnow()
    await session.flush()
    return await public(session, comment, include_commenter=True)


def moderates(principal: Principal, api_tenant: str) -> bool:
    """An administrator moderates the comments on the APIs of their own tenant, not of another."""
    return principal.tenant == api_tenant and (is_admin(principal) or "apim:admin" in principal.scopes)


async def delete_comment(
    session: AsyncSession, principal: Principal, api_id: str, api_tenant: str, comment_id: str
) -> None:
    """The author deletes their comment; an administrator of the API's tenant deletes any."""
    comment = await comment_of(session, api_id, comment_id)
    author = comment.created_by == principal.username and comment.tenant == principal.tenant
    if not author and not moderates(principal, api_tenant):
        raise Forbidden("Only the author or an administrator of the API's tenant may delete a comment")
    repository = CommentRepository(session)
    replies, _ = await repository.page_of(api_id, comment.id, limit=10_000, offset=0)
    for reply in replies:
        await repository.delete(reply)
    await repository.delete(comment)


async def comment(
    session: AsyncSession,
    api_id: str,
    comment_id: str,
    *,
    include_commenter: bool,
    reply_limit: int,
    reply_offset: int,
) -> CommentPublic:
    """One comment with a page of its replies."""
    found = await comment_of(session, api_id, comment_id)
    return await public(
        session,
        found,
        include_commenter=include_commenter,
        reply_limit=reply_limit,
        reply_offset=reply_offset,
    )


async def replies(
    session: AsyncSession, api_id: str, comment_id: str, *, limit: int, offset: int, include_commenter: bool
) -> CommentList:
    """A page of the replies to one comment."""
    parent = await comment_of(session, api_id, comment_id)
    return await replies_page(
        session, api_id, parent.id, limit=limit, offset=offset, include_commenter=include_commenter
    )


def _commenter(username: str, include: bool) -> CommenterInfo | None:
    return CommenterInfo(fullName=username.split("@")[0]) if include else None


async def public(
    session: AsyncSession,
    comment: Comment,
    *,
    include_commenter: bool,
    reply_limit: int = INLINE_REPLIES,
    reply_offset: int = 0,
) -> CommentPublic:
    replies: CommentList | None = None
    if comment.parent_id is None:
        replies = await replies_page(
            session,
            comment.api_id,
            comment.id,
            limit=reply_limit,
            offset=reply_offset,
            include_commenter=include_commenter,
        )
    return CommentPublic(
        id=comment.id,
        content=comment.content,
        createdTime=epoch_millis(comment.created_at),
        createdBy=comment.created_by,
        updatedTime=epoch_millis(comment.updated_at),
        category=comment.category,
        parentCommentId=comment.parent_id,
        entryPoint="publisher" if comment.entry_point == "publisher" else "devPortal",
        commenterInfo=_commenter(comment.created_by, include_commenter),
        replies=replies,
    )


async def replies_page(
    session: AsyncSession, api_id: str, parent_id: str, *, limit: int, offset: int, include_commenter: bool
) -> CommentList:
    rows, total = await CommentRepository(session).page_of(api_id, parent_id, limit=limit, offset=offset)
    items = [await public(session, row, include_commenter=include_commenter) for row in rows]
    return CommentList(
        count=len(items), list=items, pagination=Pagination(offset=offset, limit=limit, total=total)
    )


async def comments_page(
    session: AsyncSession, api_id: str, *, limit: int, offset: int, include_commenter: bool
) -> CommentList:
    rows, total = await CommentRepository(session).page_of(api_id, None, limit=limit, offset=offset)
    items = [await public(session, row, include_commenter=include_commenter) for row in rows]
    return CommentList(
        count=len(items), list=items, pagination=Pagination(offset=offset, limit=limit, total=total)
    )
