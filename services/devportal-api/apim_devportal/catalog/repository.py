from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, or_, select

from apim_common import tenant_versions
from apim_common.repository import Repository
from apim_devportal.applications.models import Application
from apim_devportal.catalog.models import ApiCategory, CatalogApi, CatalogDocument, CatalogVersion
from apim_devportal.feedback.models import Rating
from apim_devportal.subscriptions.models import Subscription

# States in which an API is on the portal at all (DEPRECATED only for its subscribers).
LISTED_STATES = ("PUBLISHED", "PROTOTYPED", "DEPRECATED")


@dataclass(frozen=True, slots=True)
class Listed:
    """What the catalog list decides on for one API (who sees it, filters, order), without ``data``."""

    id: str
    tenant: str
    kind: str
    name: str
    version: str
    context: str
    provider: str
    lifecycle_status: str
    visibility: str
    visible_roles: list[str]
    description: str
    tags: list[str]
    categories: list[str]
    updated_at: datetime


_LISTED_COLUMNS = (
    CatalogApi.id,
    CatalogApi.tenant,
    CatalogApi.kind,
    CatalogApi.name,
    CatalogApi.version,
    CatalogApi.context,
    CatalogApi.provider,
    CatalogApi.lifecycle_status,
    CatalogApi.visibility,
    CatalogApi.visible_roles,
    CatalogApi.description,
    CatalogApi.tags,
    CatalogApi.categories,
    CatalogApi.updated_at,
)


class CatalogRepository(Repository[CatalogApi]):
    model = CatalogApi

    async def listed_rows(self, tenant: str) -> list[Listed]:
        """The tenant's APIs in a listed state, by name then version: only the columns the list
        filters and orders on, so no API's ``data`` is read."""
        statement = (
            select(*_LISTED_COLUMNS)
            .where(CatalogApi.tenant == tenant, CatalogApi.lifecycle_status.in_(LISTED_STATES))
            .order_by(func.lower(CatalogApi.name), CatalogApi.version)
        )
        rows = (await self.session.execute(statement)).all()
        return [
            Listed(
                id=r[0],
                tenant=r[1],
                kind=r[2],
                name=r[3],
                version=r[4],
                context=r[5],
                provider=r[6],
                lifecycle_status=r[7],
                visibility=r[8],
                visible_roles=list(r[9] or []),
                description=r[10],
                tags=list(r[11] or []),
                categories=list(r[12] or []),
                updated_at=r[13],
            )
            for r in rows
        ]

    async def version(self, tenant: str) -> int:
        """The tenant's catalog version (0 before its first change)."""
        statement = select(CatalogVersion.version).where(CatalogVersion.tenant == tenant)
        found = await self.session.scalar(statement)
        return int(found or 0)

    async def raise_version(self, tenant: str) -> None:
        """One more than the tenant's catalog version, in the caller's transaction."""
        dialect = self.session.get_bind().dialect.name
        table = cast(Table, CatalogVersion.__table__)
        await self.session.execute(tenant_versions.raise_statement(table, dialect, tenant))

    async def by_ids(self, ids: Sequence[str]) -> list[CatalogApi]:
        """The rows of ``ids``, in that order."""
        if not ids:
            return []
        found = {api.id: api for api in await self.all(self.select().where(CatalogApi.id.in_(list(ids))))}
        return [found[ident] for ident in ids if ident in found]

    async def data_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        statement = select(CatalogApi.id, CatalogApi.data).where(CatalogApi.id.in_(list(ids)))
        return {row[0]: dict(row[1] or {}) for row in (await self.session.execute(statement)).all()}

    async def listed(self, tenant: str) -> Sequence[CatalogApi]:
        statement = self.select().where(
            CatalogApi.tenant == tenant, CatalogApi.lifecycle_status.in_(LISTED_STATES)
        )
        return await self.all(statement.order_by(func.lower(CatalogApi.name), CatalogApi.version))

    async def of_tenant(self, tenant: str) -> Sequence[CatalogApi]:
        return await self.all(self.select().where(CatalogApi.tenant == tenant))

    async def subscribed_api_ids(self, tenant: str, owner: str, groups: Iterable[str]) -> set[str]:
        """APIs that one of the caller's applications subscribes to: each API once, the caller's
        applications chosen in SQL, so the tenant's other subscriptions are not read."""
        wanted = set(groups)
        mine = Application.owner == owner
        if wanted:
            # Shared applications: the tenant's applications (far fewer than its subscriptions)
            # with a group of the caller's, found on their own small rows.
            shared = select(Application.id, Application.groups).where(
                Application.tenant == tenant, Application.owner != owner
            )
            ids = [r[0] for r in (await self.session.execute(shared)).all() if wanted & set(r[1] or [])]
            if ids:
                mine = or_(mine, Application.id.in_(ids))
        statement = (
            select(Subscription.api_id)
            .join(Application, Application.id == Subscription.application_id)
            .where(Application.tenant == tenant, mine)
            .distinct()
        )
        return set((await self.session.execute(statement)).scalars())

    async def ratings(self, api_ids: Iterable[str]) -> dict[str, float]:
        ids = list(api_ids)
        if not ids:
            return {}
        statement = (
            select(Rating.api_id, func.avg(Rating.rating))
            .where(Rating.api_id.in_(ids))
            .group_by(Rating.api_id)
        )
        return {row[0]: float(row[1]) for row in (await self.session.execute(statement)).all()}


class CategoryRepository(Repository[ApiCategory]):
    model = ApiCategory

    async def of_tenant(self, tenant: str) -> Sequence[ApiCategory]:
        return await self.all(self.select().where(ApiCategory.tenant == tenant).order_by(ApiCategory.name))


class DocumentRepository(Repository[CatalogDocument]):
    model = CatalogDocument

    async def of_api(self, api_id: str) -> Sequence[CatalogDocument]:
        return await self.all(
            self.select().where(CatalogDocument.api_id == api_id).order_by(CatalogDocument.name)
        )
