"""Comments live in the devportal's store (docs/decisions/0022-comments-in-one-store.md): each
call checks here that the caller may see the API, then goes there with a service token naming
the caller."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.pagination import PageParams
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


def _flag(value: bool) -> str:
    return str(value).lower()


async def _read(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    tail: str,
    action: str,
    params: dict[str, Any],
) -> Any:
    url = await _path(session, request, principal, api_id, tail)
    return await call(request, "GET", url, action, params=params)


def _page(page: PageParams, include_commenter: bool) -> dict[str, Any]:
    return {"limit": page.limit, "offset": page.offset, "includeCommenterInfo": _flag(include_commenter)}


async def listing(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    page: PageParams,
    include_commenter: bool,
) -> CommentList:
    found = await _read(
        session, request, principal, api_id, "", "Listing comments", _page(page, include_commenter)
    )
    return CommentList.model_validate(found)


async def replies(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    comment_id: str,
    page: PageParams,
    include_commenter: bool,
) -> CommentList:
    tail, params = f"/{comment_id}/replies", _page(page, include_commenter)
    found = await _read(session, request, principal, api_id, tail, "Listing replies", params)
    return CommentList.model_validate(found)


async def one(
    session: AsyncSession,
    request: Request,
    principal: Principal,
    api_id: str,
    comment_id: str,
    *,
    include_commenter: bool,
    reply_limit: int,
    reply_offset: int,
) -> CommentPublic:
    params = {
        "includeCommenterInfo": _flag(include_commenter),
        "replyLimit": reply_limit,
        "replyOffset": reply_offset,
    }
    found = await _read(session, request, principal, api_id, f"/{comment_id}", "Reading a comment", params)
    return CommentPublic.model_validate(found)


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
        params={**_caller(principal), "moderator": _flag(moderator)},
    )
