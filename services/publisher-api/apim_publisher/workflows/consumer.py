"""``workflow.decided``: an admin approved or rejected one of this service's requests; the domain
that asked carries the decision out (a lifecycle change, a deployment)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.events import CloudEvent
from apim_publisher.lifecycle import service as lifecycle
from apim_publisher.revisions import service as revisions
from apim_publisher.workflows import service as workflows


async def on_decided(session: AsyncSession, event: CloudEvent) -> None:
    """Carry out or drop the request the decision is about; unknown or cancelled ones are ignored."""
    pending = await workflows.pending_for(session, event)
    if pending is None:
        return
    approved = workflows.approved(event)
    if pending.workflow_type in (workflows.API_STATE, workflows.API_PRODUCT_STATE):
        await lifecycle.on_decision(session, pending, approved)
    elif pending.workflow_type == workflows.REVISION_DEPLOYMENT:
        await revisions.on_decision(session, pending, approved)
    await workflows.close(session, pending)
