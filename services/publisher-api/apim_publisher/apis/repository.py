"""SQL for APIs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from apim_common.repository import Repository
from apim_publisher.apis.models import API

# Ids per ``IN (...)`` list: far below any driver's limit on bound parameters.
CHUNK = 1000


class APIRepository(Repository[API]):
    model = API

    async def in_tenant(self, tenant: str, api_id: str) -> API | None:
        return await self.one_or_none(select(API).where(API.id == api_id, API.tenant == tenant))

    async def with_name(self, tenant: str, name: str) -> Sequence[API]:
        """Every version of the API called ``name`` (WSO2 compares names case-insensitively)."""
        return await self.all(
            select(API)
            .where(API.tenant == tenant, func.lower(API.name) == name.lower())
            .order_by(API.created_at)
        )

    async def with_context(self, tenant: str, context: str) -> Sequence[API]:
        return await self.all(
            select(API).where(API.tenant == tenant, func.lower(API.context) == context.lower())
        )

    async def of_tenant(self, tenant: str | None) -> Sequence[API]:
        statement = select(API).order_by(API.created_at)
        if tenant is not None:
            statement = statement.where(API.tenant == tenant)
        return await self.all(statement)

    async def headers_by_ids(self, ids: Iterable[str]) -> dict[str, API]:
        """The APIs among ``ids``, by id, with their identity and state columns only (tenant, type,
        lifecycle): what a runtime artifact takes from the API beside its revision. Other columns
        raise when read."""
        columns = load_only(API.id, API.tenant, API.type, API.lifecycle_status, raiseload=True)
        wanted, found = list(ids), {}
        for start in range(0, len(wanted), CHUNK):
            statement = select(API).options(columns).where(API.id.in_(wanted[start : start + CHUNK]))
            found.update({a.id: a for a in await self.all(statement)})
        return found
