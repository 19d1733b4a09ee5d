"""SQL for tenant workflow settings and pending approval requests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from apim_common.repository import Repository
from apim_publisher.workflows.models import TenantWorkflows, WorkflowRequest


class TenantWorkflowsRepository(Repository[TenantWorkflows]):
    model = TenantWorkflows


class WorkflowRequestRepository(Repository[WorkflowRequest]):
    model = WorkflowRequest

    async def for_api(self, api_id: str, workflow_type: str) -> Sequence[WorkflowRequest]:
        return await self.all(
            select(WorkflowRequest).where(
                WorkflowRequest.api_id == api_id, WorkflowRequest.workflow_type == workflow_type
            )
        )

    async def for_deployment(self, deployment_id: str) -> WorkflowRequest | None:
        return await self.one_or_none(
            select(WorkflowRequest).where(WorkflowRequest.deployment_id == deployment_id)
        )
