from collections.abc import Sequence

from sqlalchemy import select

from apim_admin.workflows.models import Workflow
from apim_common.repository import Repository


class WorkflowRepository(Repository[Workflow]):
    model = Workflow

    async def pending(
        self, tenant: str, workflow_type: str | None, *, limit: int, offset: int
    ) -> tuple[Sequence[Workflow], int]:
        statement = select(Workflow).where(Workflow.tenant == tenant, Workflow.status == "CREATED")
        if workflow_type:
            statement = statement.where(Workflow.workflow_type == workflow_type)
        return await self.page(statement.order_by(Workflow.created_at), limit=limit, offset=offset)

    async def by_reference(self, reference_id: str) -> Workflow | None:
        return await self.one_or_none(select(Workflow).where(Workflow.reference_id == reference_id))
