"""/system-scopes and /system-scopes/role-aliases."""

from fastapi import APIRouter

from apim_admin.scopes import ScopeManage
from apim_admin.system_scopes import service
from apim_admin.system_scopes.schemas import RoleAliasList, ScopeList, ScopeSettings
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4/system-scopes", tags=["System Scopes"])


@router.get("", response_model=ScopeList)
async def list_system_scopes(session: SessionDep, principal: ScopeManage) -> ScopeList:
    rows = await service.scopes(session, principal.tenant)
    return ScopeList(count=len(rows), list=rows)


@router.put("", response_model=ScopeList)
async def update_roles_for_scopes(body: ScopeList, session: SessionDep, principal: ScopeManage) -> ScopeList:
    rows = await service.update_scopes(session, principal.tenant, body.list)
    return ScopeList(count=len(rows), list=rows)


@router.get("/role-aliases", response_model=RoleAliasList)
async def list_role_aliases(session: SessionDep, principal: ScopeManage) -> RoleAliasList:
    rows = await service.role_aliases(session, principal.tenant)
    return RoleAliasList(count=len(rows), list=rows)


@router.put("/role-aliases", response_model=RoleAliasList)
async def update_role_aliases(
    body: RoleAliasList, session: SessionDep, principal: ScopeManage
) -> RoleAliasList:
    rows = await service.update_role_aliases(session, principal.tenant, body.list)
    return RoleAliasList(count=len(rows), list=rows)


@router.get("/{scopeName}", response_model=ScopeSettings)
async def get_system_scope(
    scopeName: str, session: SessionDep, principal: ScopeManage, username: str | None = None
) -> ScopeSettings:
    found = await service.scope(session, principal.tenant, scopeName)
    return ScopeSettings(name=found.name)
