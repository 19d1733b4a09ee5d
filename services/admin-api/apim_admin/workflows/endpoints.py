"""/workflows: pending approvals and their decisions."""

from fastapi import APIRouter

from apim_admin.scopes import WorkflowApprove, WorkflowView
from apim_admin.workflows import service
from apim_admin.workflows.schemas import InternalWorkflowRequest, WorkflowDecision, WorkflowInfo, WorkflowList
from apim_common.db import SessionDep
from apim_common.pagination import PageDep
from apim_common.security import InternalPrincipal

router = APIRouter(prefix="/api/am/admin/v4/workflows", tags=["Workflow (Collection)"])
internal_router = APIRouter(prefix="/api/am/admin/v4/internal/workflows", tags=["Internal"])


@router.get("", response_model=WorkflowList)
async def list_pending_workflows(
    session: SessionDep, principal: WorkflowView, page: PageDep, workflowType: str | None = None
) -> WorkflowList:
    rows, total = await service.pending(
        session, principal.tenant, workflowType, limit=page.limit, offset=page.offset
    )
    items = [service.public(w) for w in rows]
    nxt = (
        f"/workflows?limit={page.limit}&offset={page.offset + page.limit}"
        if page.offset + page.limit < total
        else ""
    )
    return WorkflowList(count=len(items), list=items, next=nxt)


@router.post("/update-workflow-status", response_model=WorkflowInfo)
async def update_workflow_status(
    workflowReferenceId: str, body: WorkflowDecision, session: SessionDep, principal: WorkflowApprove
) -> WorkflowInfo:
    return service.public(await service.decide(session, principal.tenant, workflowReferenceId, body))


@router.get("/{externalWorkflowRef}", response_model=WorkflowInfo)
async def get_workflow(
    externalWorkflowRef: str, session: SessionDep, principal: WorkflowView
) -> WorkflowInfo:
    return service.public(await service.get(session, principal.tenant, externalWorkflowRef))


@internal_router.post("", status_code=201, response_model=WorkflowInfo)
async def register_workflow(
    body: InternalWorkflowRequest, session: SessionDep, principal: InternalPrincipal
) -> WorkflowInfo:
    return service.public(await service.register(session, body.tenant, body))
