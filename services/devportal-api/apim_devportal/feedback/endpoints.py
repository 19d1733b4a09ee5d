from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import LimitQuery, OffsetQuery, PageDep, Pagination
from apim_common.security import OptionalPrincipal, Principal, require_scopes
from apim_devportal.catalog import service as catalog
from apim_devportal.common import RequestedTenant
from apim_devportal.feedback import service
from apim_devportal.feedback.models import Rating
from apim_devportal.feedback.repository import RatingRepository
from apim_devportal.feedback.schemas import (
    CommentIn,
    CommentList,
    CommentPatch,
    CommentPublic,
    RatingIn,
    RatingList,
    RatingPublic,
)

router = APIRouter(tags=["Ratings", "Comments"])

Subscriber = Annotated[Principal, Depends(require_scopes("apim:subscribe"))]


def _rating(row: Rating) -> RatingPublic:
    return RatingPublic(ratingId=row.id, apiId=row.api_id, ratedBy=row.rated_by, rating=row.rating)


@router.get("/apis/{apiId}/ratings")
async def list_ratings(
    apiId: str, session: SessionDep, principal: OptionalPrincipal, page: PageDep, tenant: RequestedTenant
) -> RatingList:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    rows = await RatingRepository(session).of_api(api.id)
    average = sum(r.rating for r in rows) / len(rows) if rows else 0.0
    mine = next(
        (
            r.rating
            for r in rows
            if principal is not None and (r.rated_by, r.tenant) == (principal.username, principal.tenant)
        ),
        0,
    )
    chunk = rows[page.offset : page.offset + page.limit]
    return RatingList(
        avgRating=f"{average:.1f}",
        userRating=mine,
        count=len(chunk),
        list=[_rating(r) for r in chunk],
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(rows)),
    )


@router.get("/apis/{apiId}/user-rating")
async def get_user_rating(
    apiId: str, session: SessionDep, principal: Subscriber, tenant: RequestedTenant
) -> RatingPublic:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    row = await RatingRepository(session).by_user(api.id, principal.tenant, principal.username)
    if row is None:
        raise NotFound(f"You have not rated API {apiId}")
    return _rating(row)


@router.put("/apis/{apiId}/user-rating")
async def put_user_rating(
    apiId: str, body: RatingIn, session: SessionDep, principal: Subscriber, tenant: RequestedTenant
) -> RatingPublic:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return _rating(await service.rate(session, principal, api.id, body.rating))


@router.delete("/apis/{apiId}/user-rating")
async def delete_user_rating(
    apiId: str, session: SessionDep, principal: Subscriber, tenant: RequestedTenant
) -> Response:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    repository = RatingRepository(session)
    row = await repository.by_user(api.id, principal.tenant, principal.username)
    if row is not None:
        await repository.delete(row)
    return Response(status_code=200)


IncludeCommenter = Annotated[bool, Query()]


@router.get("/apis/{apiId}/comments")
async def list_comments(
    apiId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    tenant: RequestedTenant,
    includeCommenterInfo: IncludeCommenter = False,
) -> CommentList:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return await service.comments_page(
        session, api.id, limit=page.limit, offset=page.offset, include_commenter=includeCommenterInfo
    )


@router.post("/apis/{apiId}/comments", status_code=201)
async def add_comment(
    apiId: str,
    body: CommentIn,
    session: SessionDep,
    principal: Subscriber,
    tenant: RequestedTenant,
    replyTo: str | None = None,
) -> CommentPublic:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return await service.add_comment(session, principal, api.id, body, replyTo)


@router.get("/apis/{apiId}/comments/{commentId}")
async def get_comment(
    apiId: str,
    commentId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    tenant: RequestedTenant,
    includeCommenterInfo: IncludeCommenter = False,
    replyLimit: LimitQuery = 25,
    replyOffset: OffsetQuery = 0,
) -> CommentPublic:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return await service.comment(
        session,
        api.id,
        commentId,
        include_commenter=includeCommenterInfo,
        reply_limit=replyLimit,
        reply_offset=replyOffset,
    )


@router.patch("/apis/{apiId}/comments/{commentId}")
async def edit_comment(
    apiId: str,
    commentId: str,
    body: CommentPatch,
    session: SessionDep,
    principal: Subscriber,
    tenant: RequestedTenant,
) -> CommentPublic:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return await service.edit_comment(session, principal, api.id, commentId, body)


@router.delete("/apis/{apiId}/comments/{commentId}")
async def delete_comment(
    apiId: str,
    commentId: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scopes("apim:subscribe", "apim:admin"))],
    tenant: RequestedTenant,
) -> Response:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    await service.delete_comment(session, principal, api.id, api.tenant, commentId)
    return Response(status_code=200)


@router.get("/apis/{apiId}/comments/{commentId}/replies")
async def list_replies(
    apiId: str,
    commentId: str,
    session: SessionDep,
    principal: OptionalPrincipal,
    page: PageDep,
    tenant: RequestedTenant,
    includeCommenterInfo: IncludeCommenter = False,
) -> CommentList:
    who = await catalog.viewer(session, principal, tenant)
    api = await catalog.visible_api(session, who, apiId)
    return await service.replies(
        session,
        api.id,
        commentId,
        limit=page.limit,
        offset=page.offset,
        include_commenter=includeCommenterInfo,
    )
