"""Asking the admin service for approval: a pending request is recorded here and announced as
``workflow.requested``; the ``workflow.decided`` event settles it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events.topics import Topic
from apim_devportal.common import new_id, utcnow
from apim_devportal.events import announce
from apim_devportal.workflows.models import WorkflowRequest


async def request(
    session: AsyncSession,
    *,
    workflow_type: str,
    tenant: str,
    target_id: str,
    created_by: str,
    description: str,
    properties: dict[str, Any],
) -> WorkflowRequest:
    pending = WorkflowRequest(
        reference_id=new_id(),
        workflow_type=workflow_type,
        tenant=tenant,
        target_id=target_id,
        status="CREATED",
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(pending)
    await session.flush()
    await announce(
        session,
        Topic.WORKFLOWS,
        "workflow.requested",
        pending.reference_id,
        {
            "workflowReferenceId": pending.reference_id,
            "workflowType": workflow_type,
            "createdBy": created_by,
            "description": description,
            "properties": properties,
        },
        tenant=tenant,
    )
    return pending


async def settle(session: AsyncSession, reference_id: str, status: str) -> WorkflowRequest | None:
    """The pending request ``reference_id`` if it is one of ours and still open, now decided."""
    pending = await session.get(WorkflowRequest, reference_id)
    if pending is None or pending.status != "CREATED":
        return None
    pending.status = status
    await session.flush()
    return pending
