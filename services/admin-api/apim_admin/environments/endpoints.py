"""/environments: the gateways APIs are deployed to."""

from fastapi import APIRouter

from apim_admin.environments import service
from apim_admin.environments.schemas import Environment, EnvironmentList
from apim_admin.scopes import EnvironmentManage, EnvironmentRead
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4/environments", tags=["Environments"])


@router.get("", response_model=EnvironmentList)
async def list_environments(session: SessionDep, principal: EnvironmentRead) -> EnvironmentList:
    rows = [service.public(e) for e in await service.list_environments(session, principal.tenant)]
    return EnvironmentList(count=len(rows), list=rows)


@router.post("", status_code=201, response_model=Environment)
async def add_environment(
    body: Environment, session: SessionDep, principal: EnvironmentManage
) -> Environment:
    return service.public(await service.create(session, principal.tenant, body))


@router.put("/{environmentId}", response_model=Environment)
async def update_environment(
    environmentId: str, body: Environment, session: SessionDep, principal: EnvironmentManage
) -> Environment:
    return service.public(await service.update(session, principal.tenant, environmentId, body))


@router.delete("/{environmentId}")
async def delete_environment(environmentId: str, session: SessionDep, principal: EnvironmentManage) -> None:
    await service.delete(session, principal.tenant, environmentId)
