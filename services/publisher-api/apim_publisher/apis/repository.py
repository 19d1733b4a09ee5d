"""SQL for APIs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import cast, func, literal_column, null, select, union_all
from sqlalchemy.orm import load_only

from apim_common import tenant_versions
from apim_common.repository import Repository
from apim_publisher.apis.models import API, PRODUCT_TYPE, list_versions

# Ids per ``IN (...)`` list: far below any driver's limit on bound parameters.
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ListedApi:
    """The columns an API list is decided on (search, sort, access); the page is read whole after."""

    id: str
    name: str
    version: str
    context: str
    provider: str
    lifecycle_status: str
    type: str
    created_at: datetime
    listed_description: str | None
    listed_tags: str | None
    listed_categories: str | None
    access_roles: str | None


LISTED_COLUMNS = tuple(getattr(API, name) for name in ListedApi.__slots__)


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

    async def listed_since(self, tenant: str, known: int) -> tuple[int, list[ListedApi] | None]:
        """The version of the tenant's API list (raised by every write that changes it, models.py)
        and, when it is not ``known``, the listed columns of its APIs (not products), oldest first.

        One statement, so the rows are exactly those of the version; its first row is the version
        alone, and the rows' scan is gated on the version (evaluated once) differing."""
        version = tenant_versions.current(list_versions, tenant).label("list_version")
        head = select(version, *(cast(null(), c.type).label(c.key) for c in LISTED_COLUMNS))
        rows = select(version, *LISTED_COLUMNS).where(
            API.tenant == tenant, API.type != PRODUCT_TYPE, version != known
        )
        statement = union_all(head, rows).order_by(literal_column("created_at"))
        found, listed = 0, []
        for row in await self.session.execute(statement):
            found = row[0]
            if row[1] is not None:
                listed.append(ListedApi(*row[1:]))
        return int(found), (None if found == known else listed)

    async def in_order(self, ids: Sequence[str]) -> list[API]:
        """The whole rows of ``ids`` (one page of a list), in that order."""
        if not ids:
            return []
        found = {a.id: a for a in await self.all(select(API).where(API.id.in_(ids)))}
        return [found[i] for i in ids if i in found]
