"""The one generic base every repository builds on; all SQL lives in repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

M = TypeVar("M", bound=DeclarativeBase)


class Repository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ident: Any) -> M | None:
        obj: M | None = await self.session.get(self.model, ident)
        return obj

    async def add(self, obj: M) -> M:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def delete(self, obj: M) -> None:
        await self.session.delete(obj)
        await self.session.flush()

    async def one_or_none(self, statement: Select[Any]) -> M | None:
        obj: M | None = (await self.session.execute(statement)).scalars().first()
        return obj

    async def all(self, statement: Select[Any]) -> Sequence[M]:
        rows: Sequence[M] = (await self.session.execute(statement)).scalars().all()
        return rows

    async def page(self, statement: Select[Any], *, limit: int, offset: int) -> tuple[Sequence[M], int]:
        """One page of ``statement``'s rows and the total count without paging."""
        total = await self.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        result = await self.session.execute(statement.limit(limit).offset(offset))
        rows: Sequence[M] = result.scalars().all()
        return rows, int(total or 0)

    def select(self) -> Select[Any]:
        return select(self.model)
