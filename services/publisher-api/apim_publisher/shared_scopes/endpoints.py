"""``/scopes``: shared scopes of the tenant and where they are used."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from apim_common.db import SessionDep
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.shared_scopes import service
from apim_publisher.shared_scopes.service import ScopeBody, ScopeRepository

router = APIRouter(tags=["Scopes"])


@router.get("/scopes")
async def list_scopes(
    request: Request, session: SessionDep, principal: scopes.SharedScopeRead, page: PageDep
) -> Page[dict[str, Any]]:
    found = await ScopeRepository(session).of_tenant(principal.tenant)
    items = [
        service.public(s, len(await service.usage(session, s)))
        for s in found[page.offset : page.offset + page.limit]
    ]
    return Page[dict[str, Any]].of(
        items, total=len(found), limit=page.limit, offset=page.offset, path=request.url.path
    )


@router.post("/scopes", status_code=201)
async def create_scope(
    body: ScopeBody, response: Response, session: SessionDep, principal: scopes.SharedScopeManage
) -> dict[str, Any]:
    scope = await service.create(session, principal.tenant, body)
    response.headers["Location"] = f"/api/am/publisher/v4/scopes/{scope.id}"
    return service.public(scope)


@router.get("/scopes/{scopeId}")
async def get_scope(scopeId: str, session: SessionDep, principal: scopes.SharedScopeRead) -> dict[str, Any]:
    scope = await service.get(session, principal.tenant, scopeId)
    return service.public(scope, len(await service.usage(session, scope)))


@router.put("/scopes/{scopeId}")
async def update_scope(
    scopeId: str, body: ScopeBody, session: SessionDep, principal: scopes.SharedScopeManage
) -> dict[str, Any]:
    scope = await service.update(session, await service.get(session, principal.tenant, scopeId), body)
    return service.public(scope, len(await service.usage(session, scope)))


@router.delete("/scopes/{scopeId}", status_code=200)
async def delete_scope(scopeId: str, session: SessionDep, principal: scopes.SharedScopeManage) -> Response:
    await service.delete(session, await service.get(session, principal.tenant, scopeId))
    return Response(status_code=200)


@router.get("/scopes/{scopeId}/usage")
async def scope_usage(
    scopeId: str, session: SessionDep, principal: scopes.SharedScopeUsage
) -> dict[str, Any]:
    scope = await service.get(session, principal.tenant, scopeId)
    # APIs restricted to roles the caller does not hold stay unnamed (publisher access control).
    visible = {api.id for api in await apis.of_caller(session, principal)}
    used = [u for u in await service.usage(session, scope) if u["id"] in visible]
    return {"count": len(used), "usedApiList": used}
