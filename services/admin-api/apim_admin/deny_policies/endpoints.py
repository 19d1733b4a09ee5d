"""/throttling/deny-policies and /throttling/deny-policy/{conditionId}."""

from fastapi import APIRouter

from apim_admin.deny_policies import service
from apim_admin.deny_policies.schemas import BlockingCondition, BlockingConditionList, BlockingConditionStatus
from apim_admin.scopes import DenyManage, DenyView
from apim_common.db import SessionDep

router = APIRouter(prefix="/api/am/admin/v4/throttling", tags=["Deny Policies"])


@router.get("/deny-policies", response_model=BlockingConditionList)
async def list_deny_policies(session: SessionDep, principal: DenyView) -> BlockingConditionList:
    rows = [service.public(p) for p in await service.list_policies(session, principal.tenant)]
    return BlockingConditionList(count=len(rows), list=rows)


@router.post("/deny-policies", status_code=201, response_model=BlockingCondition)
async def add_deny_policy(
    body: BlockingCondition, session: SessionDep, principal: DenyManage
) -> BlockingCondition:
    return service.public(await service.create(session, principal.tenant, body))


@router.get("/deny-policy/{conditionId}", response_model=BlockingCondition)
async def get_deny_policy(conditionId: str, session: SessionDep, principal: DenyView) -> BlockingCondition:
    return service.public(await service.get(session, principal.tenant, conditionId))


@router.delete("/deny-policy/{conditionId}")
async def delete_deny_policy(conditionId: str, session: SessionDep, principal: DenyManage) -> None:
    await service.delete(session, principal.tenant, conditionId)


@router.patch("/deny-policy/{conditionId}", response_model=BlockingCondition)
async def update_deny_policy_status(
    conditionId: str, body: BlockingConditionStatus, session: SessionDep, principal: DenyManage
) -> BlockingCondition:
    return service.public(
        await service.set_status(session, principal.tenant, conditionId, body.conditionStatus)
    )
