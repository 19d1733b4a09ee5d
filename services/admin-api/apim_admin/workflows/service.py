"""Pending requests and their decisions; a decision goes back to the requester as ``workflow.decided``."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from apim_admin.events import announce
from apim_admin.workflows.models import Workflow
from apim_admin.workflows.repository import WorkflowRepository
from apim_admin.workflows.schemas import WorkflowDecision, WorkflowInfo, WorkflowRequest
from apim_common.errors import Conflict, NotFound
from apim_common.events.envelope import CloudEvent
from apim_common.events.topics import Topic


def normalise_type(workflow_type: str) -> str:
    """WSO2 names types both ``AM_API_STATE`` and ``API_STATE``; stored in the first form."""
    upper = workflow_type.strip().upper()
    return upper if upper.startswith("AM_") else f"AM_{upper}"


def public(workflow: Workflow) -> WorkflowInfo:
    return WorkflowInfo(
        workflowType=workflow.workflow_type,
        workflowStatus=workflow.status,
        createdTime=workflow.created_at,
        updatedTime=workflow.updated_at,
        referenceId=workflow.reference_id,
        properties=workflow.properties,
        description=workflow.description,
    )


async def register(session: AsyncSession, tenant: str, request: WorkflowRequest) -> Workflow:
    """Record a pending request once; registering the same reference again changes nothing."""
    repository = WorkflowRepository(session)
    existing = await repository.by_reference(request.workflowReferenceId)
    if existing is not None:
        return existing
    return await repository.add(
        Workflow(
            tenant=tenant,
            reference_id=request.workflowReferenceId,
            workflow_type=normalise_type(request.workflowType),
            created_by=request.createdBy,
            description=request.description,
            properties=request.properties,
        )
    )


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type == "workflow.requested":
        await register(session, event.tenant, WorkflowRequest.model_validate(event.data))


async def pending(
    session: AsyncSession, tenant: str, workflow_type: str | None, *, limit: int, offset: int
) -> tuple[Sequence[Workflow], int]:
    wanted = normalise_type(workflow_type) if workflow_type else None
    return await WorkflowRepository(session).pending(tenant, wanted, limit=limit, offset=offset)


async def get(session: AsyncSession, tenant: str, reference_id: str) -> Workflow:
    workflow = await WorkflowRepository(session).by_reference(reference_id)
    if workflow is None or workflow.tenant != tenant:
        raise NotFound(f"Workflow {reference_id} was not found")
    return workflow


async def decide(
    session: AsyncSession, tenant: str, reference_id: str, decision: WorkflowDecision
) -> Workflow:
    workflow = await get(session, tenant, reference_id)
    if workflow.status != "CREATED":
        raise Conflict(f"Workflow {reference_id} was already {workflow.status}")
    workflow.status = decision.status
    workflow.decision_note = decision.description
    await session.flush()
    await announce(
        session,
        Topic.WORKFLOWS,
        "workflow.decided",
        workflow.reference_id,
        {
            "workflowReferenceId": workflow.reference_id,
            "workflowType": workflow.workflow_type,
            "status": decision.status,
            "description": decision.description,
            "properties": {**workflow.properties, **decision.attributes},
        },
        tenant=workflow.tenant,
    )
    return workflow
