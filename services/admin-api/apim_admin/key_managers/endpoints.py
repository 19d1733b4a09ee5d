"""/key-managers, /global-key-managers and /key-managers/discover."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from apim_admin.key_managers import service
from apim_admin.key_managers.schemas import (
    KeyManager,
    KeyManagerAPIUsages,
    KeyManagerAppUsages,
    KeyManagerList,
    KeyManagerWellKnownResponse,
)
from apim_admin.scopes import KeyManagerManage, KeyManagerOperations
from apim_common.db import SessionDep
from apim_common.pagination import PageDep

router = APIRouter(prefix="/api/am/admin/v4", tags=["Key Manager (Collection)"])


def _out(key_manager: Any) -> dict[str, Any]:
    return service.public(key_manager).model_dump(mode="json", by_alias=True)


@router.get("/key-managers", response_model=KeyManagerList)
async def list_key_managers(session: SessionDep, principal: KeyManagerManage) -> KeyManagerList:
    rows = await service.list_visible(session, principal.tenant)
    return KeyManagerList(count=len(rows), list=rows)


@router.post("/key-managers", status_code=201)
async def add_key_manager(
    request: Request, body: KeyManager, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    return _out(await service.create(session, principal.tenant, body, http=request.app.state.outbound))


@router.post("/key-managers/discover", response_model=KeyManagerWellKnownResponse)
async def discover_key_manager(
    request: Request,
    principal: KeyManagerManage,
    url: Annotated[str, Form()],
    type: Annotated[str, Form()] = "",
) -> KeyManagerWellKnownResponse:
    return await service.discover(request.app.state.outbound, url, type)


@router.get("/key-managers/{keyManagerId}")
async def get_key_manager(
    keyManagerId: str, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    return _out(await service.get(session, principal.tenant, keyManagerId))


@router.put("/key-managers/{keyManagerId}")
async def update_key_manager(
    request: Request, keyManagerId: str, body: KeyManager, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    outbound = request.app.state.outbound
    return _out(await service.update(session, principal.tenant, keyManagerId, body, http=outbound))


@router.delete("/key-managers/{keyManagerId}")
async def delete_key_manager(keyManagerId: str, session: SessionDep, principal: KeyManagerOperations) -> None:
    await service.delete(session, principal.tenant, keyManagerId)


@router.get("/key-managers/{keyManagerId}/api-usages", response_model=KeyManagerAPIUsages)
async def key_manager_api_usages(
    keyManagerId: str, session: SessionDep, principal: KeyManagerOperations, page: PageDep
) -> KeyManagerAPIUsages:
    return await service.api_usages(
        session, principal.tenant, keyManagerId, limit=page.limit, offset=page.offset
    )


@router.get("/key-managers/{keyManagerId}/app-usages", response_model=KeyManagerAppUsages)
async def key_manager_app_usages(
    keyManagerId: str, session: SessionDep, principal: KeyManagerOperations, page: PageDep
) -> KeyManagerAppUsages:
    return await service.app_usages(
        session, principal.tenant, keyManagerId, limit=page.limit, offset=page.offset
    )


@router.get("/global-key-managers", response_model=KeyManagerList)
async def list_global_key_managers(session: SessionDep, principal: KeyManagerManage) -> KeyManagerList:
    rows = await service.list_global(session, principal.tenant)
    return KeyManagerList(count=len(rows), list=rows)


@router.post("/global-key-managers", status_code=201)
async def add_global_key_manager(
    request: Request, body: KeyManager, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    outbound = request.app.state.outbound
    return _out(await service.create(session, principal.tenant, body, global_=True, http=outbound))


@router.get("/global-key-managers/{keyManagerId}")
async def get_global_key_manager(
    keyManagerId: str, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    return _out(await service.get(session, principal.tenant, keyManagerId, global_=True))


@router.put("/global-key-managers/{keyManagerId}")
async def update_global_key_manager(
    request: Request, keyManagerId: str, body: KeyManager, session: SessionDep, principal: KeyManagerManage
) -> dict[str, Any]:
    outbound = request.app.state.outbound
    return _out(
        await service.update(session, principal.tenant, keyManagerId, body, global_=True, http=outbound)
    )


@router.delete("/global-key-managers/{keyManagerId}")
async def delete_global_key_manager(
    keyManagerId: str, session: SessionDep, principal: KeyManagerManage
) -> None:
    await service.delete(session, principal.tenant, keyManagerId, global_=True)
