"""SQL for documents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from apim_common.repository import Repository
from apim_publisher.documents.models import Document


class DocumentRepository(Repository[Document]):
    model = Document

    async def of_api(self, api_id: str) -> Sequence[Document]:
        return await self.all(select(Document).where(Document.api_id == api_id).order_by(Document.created_at))

    async def in_api(self, api_id: str, document_id: str) -> Document | None:
        return await self.one_or_none(
            select(Document).where(Document.api_id == api_id, Document.id == document_id)
        )

    async def named(self, api_id: str, name: str) -> Document | None:
        return await self.one_or_none(
            select(Document).where(Document.api_id == api_id, Document.name == name)
        )
