"""Comments live in the devportal's store (docs/decisions/0022-comments-in-one-store.md): each
call checks here that the caller may see the API, then goes there with a service token naming
the caller."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.security import Principal
from apim_publisher.apis import service as apis
from apim_publisher.comments.schemas import CommentCreate, CommentList, CommentPublic, CommentUpdate
from apim_publisher.internal_calls import call, devportal

# Who may delete anyone's comment on an API of their tenant.
MODERATOR_SCOPES = frozenset({"apim:admin", "apim:comment_manage"})


def _caller(principal: Principal) -> dict[str, Any]:
    return {"user": principal.username, "tenant": principal.tenant}


async def _path(
    session: AsyncSession, request: Request, principal: Principal, api_id: str, tail: str = ""
) -> str:
    api = await apis.get(session, principal, api_id)
    return devportal(request, f"/apis/{api.id}/comments{tail}")


async def listing(
    session: AsyncSession, request: Request, principal: Principal, api_id: str, params: dict[str, Any]
) -> CommentList:
    url = await _path(session, request, principal, api_id)
    return CommentList.model_validate(await call(request, "GET", url, "Listing comments", params=params))


async def replies(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    comment_id: str,
    params: dict[str, Any],
) -> CommentList:
    url = await _path(session, request, principal, api_id, f"/{comment_id}/replies")
    return CommentList.model_validate(await call(request, "GET", url, "Listing replies", params=params))


async def one(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    comment_id: str,
    params: dict[str, Any],
) -> CommentPublic:
    url = await _path(session, request, principal, api_id, f"/{comment_id}")
    return CommentPublic.model_validate(await call(request, "GET", url, "Reading a comment", params=params))


async def add(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    body: CommentCreate,
    reply_to: str | None,
) -> CommentPublic:
    url = await _path(session, request, principal, api_id)
    found = await call(
        request,
        "POST",
        url,
        "Adding a comment",
        params={**_caller(principal), "replyTo": reply_to},
        json=body.model_dump(),
    )
    return CommentPublic.model_validate(found)


async def edit(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    comment_id: str,
    body: CommentUpdate,
) -> CommentPublic:
    url = await _path(session, request, principal, api_id, f"/{comment_id}")
    found = await call(
        request,
        "PATCH",
        url,
        "Editing a comment",
        params=_caller(principal),
        json=body.model_dump(exclude_none=True),
    )
    return CommentPublic.model_validate(found)


async def delete(
    session: AsyncSession, request: Request, principal: Principal, api_id: str, comment_id: str
) -> None:
    url = await _path(session, request, principal, api_id, f"/{comment_id}")
    moderator = bool(principal.scopes & MODERATOR_SCOPES)
    await call(
        request,
        "DELETE",
        url,
        "Deleting a comment",
        params={**_caller(principal), "moderator": str(moderator).lower()},
    )
