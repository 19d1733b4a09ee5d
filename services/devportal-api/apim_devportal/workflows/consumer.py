"""``workflow.decided``: an admin approved or rejected one of this service's requests."""

from sqlalchemy.ext.asyncio import AsyncSession

import apim_devportal.subscriptions.service as subscriptions
from apim_common.events.envelope import CloudEvent
from apim_devportal.applications import service as applications
from apim_devportal.workflows import service


async def on_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type != "workflow.decided":
        return
    reference = str(event.data.get("workflowReferenceId") or event.subject)
    status = str(event.data.get("status") or "").upper()
    if status not in ("APPROVED", "REJECTED"):
        return
    pending = await service.settle(session, reference, status)
    if pending is None:
        return
    approved = status == "APPROVED"
    if pending.workflow_type == applications.CREATION_WORKFLOW:
        await applications.decide(session, pending.target_id, approved)
    elif pending.workflow_type == subscriptions.CREATION_WORKFLOW:
        await subscriptions.decide(session, pending.target_id, approved)
