"""A version per tenant, raised in the transaction of every write to what a list shows, and each
replica's in-memory copy of the tenant's listed rows kept under it.

A replica reads the version (one small row) in the statement that reads the rows, or before it,
never after: rows newer than the version read are then kept under that older version and read
again on the next request, and no row is kept under a version newer than itself. A counter
every writer raises under the row's lock decides it, where a stamp of update times would depend on
the replicas' clocks. A tenant without a row is at version 0.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy import Column, Integer, MetaData, ScalarSelect, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

Row = TypeVar("Row")


def versions_table(metadata: MetaData, name: str) -> Table:
    """A ``(tenant, version)`` table on ``metadata``; its migration creates the same."""
    return Table(
        name,
        metadata,
        Column("tenant", String(255), primary_key=True),
        Column("version", Integer, nullable=False, default=0),
    )


def raise_statement(table: Table, dialect: str, tenant: str) -> Insert:
    """One more than the tenant's version (1 for a tenant without a row), as an upsert: the row
    stays locked until the transaction it runs in ends."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(table)
        .values(tenant=tenant, version=1)
        .on_conflict_do_update(index_elements=[table.c.tenant], set_={"version": table.c.version + 1})
    )


def current(table: Table, tenant: str) -> ScalarSelect[int]:
    """The tenant's version as a scalar subquery (0 before its first write): uncorrelated, so a
    statement evaluates it once, and a condition on it alone gates a whole scan."""
    return (
        select(func.coalesce(func.max(table.c.version), 0)).where(table.c.tenant == tenant).scalar_subquery()
    )


# Reads the version, and the rows only when it differs from the one given (the version kept,
# -1 for none): ``(version, rows)``, rows None when the kept ones are still current.
Read = Callable[[int], Awaitable[tuple[int, Sequence[Row] | None]]]


class TenantRows(Generic[Row]):
    """Per tenant, the rows read at one version; requests share them and only read them."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[int, Sequence[Row]]] = {}
        self.loads = 0

    async def current(self, tenant: str, read: Read[Row]) -> Sequence[Row]:
        """The tenant's rows at the version ``read`` finds: kept from an earlier request at the
        same version, else the rows ``read`` gave with it."""
        kept = self._kept.get(tenant)
        version, rows = await read(-1 if kept is None else kept[0])
        if rows is None and kept is not None and kept[0] == version:
            return kept[1]
        if rows is None:
            raise ValueError(f"version {version} was read without its rows")
        self._kept[tenant] = (version, rows)
        self.loads += 1
        return rows
