"""SQL for revisions and deployments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from apim_common.repository import Repository
from apim_publisher.revisions.models import Deployment, Revision

# Ids per ``IN (...)`` list: far below any driver's limit on bound parameters.
CHUNK = 1000


class RevisionRepository(Repository[Revision]):
    model = Revision

    async def of_api(self, api_id: str) -> Sequence[Revision]:
        return await self.all(select(Revision).where(Revision.api_id == api_id).order_by(Revision.number))

    async def count(self, api_id: str) -> int:
        return int(await self.session.scalar(select(func.count()).where(Revision.api_id == api_id)) or 0)

    async def by_ids(self, ids: Iterable[str]) -> dict[str, Revision]:
        """The revisions among ``ids``, by id, in one query per thousand ids."""
        wanted, found = list(ids), {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            found.update({r.id: r for r in await self.all(select(Revision).where(Revision.id.in_(chunk)))})
        return found

    async def of_api_by_id(self, api_id: str, revision_id: str) -> Revision | None:
        return await self.one_or_none(
            select(Revision).where(Revision.api_id == api_id, Revision.id == revision_id)
        )

    async def of_api_by_number(self, api_id: str, number: int) -> Revision | None:
        return await self.one_or_none(
            select(Revision).where(Revision.api_id == api_id, Revision.number == number)
        )


class DeploymentRepository(Repository[Deployment]):
    model = Deployment

    async def of_api(self, api_id: str) -> Sequence[Deployment]:
        return await self.all(
            select(Deployment).where(Deployment.api_id == api_id).order_by(Deployment.deployed_at)
        )

    async def approved_for_api(self, api_id: str) -> Sequence[Deployment]:
        return await self.all(
            select(Deployment).where(Deployment.api_id == api_id, Deployment.status == "APPROVED")
        )

    async def of_revision(self, revision_id: str) -> Sequence[Deployment]:
        return await self.all(select(Deployment).where(Deployment.revision_id == revision_id))

    async def approved_in(self, environment: str) -> Sequence[Deployment]:
        return await self.all(
            select(Deployment)
            .where(Deployment.environment == environment, Deployment.status == "APPROVED")
            .order_by(Deployment.tenant, Deployment.deployed_at)
        )
