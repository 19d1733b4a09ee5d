"""Documents of an API; each change is announced on the ``apis`` topic for the developer portal."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from apim_common.errors import BadRequest, Conflict, NotFound
from apim_common.events import Topic
from apim_common.security import Principal
from apim_publisher.apis.models import API
from apim_publisher.common import iso, record, utcnow
from apim_publisher.documents.models import Document
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.documents.schemas import DocumentBody, DocumentPublic

MAX_FILE_BYTES = 20 * 1024 * 1024


def public(document: Document) -> DocumentPublic:
    return DocumentPublic(
        documentId=document.id,
        name=document.name,
        type=document.type,
        summary=document.summary,
        sourceType=document.source_type,
        sourceUrl=document.source_url,
        otherTypeName=document.other_type_name,
        visibility=document.visibility,
        inlineContent=None,
        fileName=document.file_name,
        createdTime=iso(document.created_at),
        createdBy=document.created_by,
        lastUpdatedTime=iso(document.updated_at),
        lastUpdatedBy=document.updated_by,
    )


async def _announce(session: AsyncSession, api: API, document: Document, type_: str) -> None:
    data = {"apiId": api.id, **public(document).model_dump(mode="json")}
    if document.source_type in ("INLINE", "MARKDOWN"):
        data["inlineContent"] = document.inline_content
    await record(session, Topic.APIS, type_, api.id, data, tenant=api.tenant)


async def get(session: AsyncSession, api: API, document_id: str) -> Document:
    document = await DocumentRepository(session).in_api(api.id, document_id)
    if document is None:
        raise NotFound(f"Document '{document_id}' of API '{api.id}' not found", message="Document Not Found")
    return document


def _apply(document: Document, body: DocumentBody) -> None:
    document.name = body.name
    document.type = body.type
    document.summary = body.summary
    document.source_type = body.sourceType
    document.source_url = body.sourceUrl if body.sourceType == "URL" else None
    document.other_type_name = body.otherTypeName
    document.visibility = body.visibility
    if body.sourceType in ("INLINE", "MARKDOWN") and body.inlineContent is not None:
        document.inline_content = body.inlineContent


async def create(session: AsyncSession, principal: Principal, api: API, body: DocumentBody) -> Document:
    repository = DocumentRepository(session)
    if await repository.named(api.id, body.name) is not None:
        raise Conflict(
            f"API '{api.name}' already has a document named '{body.name}'", message="Document exists"
        )
    now = utcnow()
    document = Document(
        id=str(uuid.uuid4()),
        api_id=api.id,
        tenant=api.tenant,
        created_by=principal.username,
        created_at=now,
        updated_by=principal.username,
        updated_at=now,
    )
    _apply(document, body)
    await repository.add(document)
    await _announce(session, api, document, "document.created")
    return document


async def update(
    session: AsyncSession, principal: Principal, api: API, document: Document, body: DocumentBody
) -> Document:
    other = await DocumentRepository(session).named(api.id, body.name)
    if other is not None and other.id != document.id:
        raise Conflict(
            f"API '{api.name}' already has a document named '{body.name}'", message="Document exists"
        )
    _apply(document, body)
    document.updated_by, document.updated_at = principal.username, utcnow()
    await session.flush()
    await _announce(session, api, document, "document.updated")
    return document


async def delete(session: AsyncSession, api: API, document: Document) -> None:
    await _announce(session, api, document, "document.deleted")
    await DocumentRepository(session).delete(document)


async def set_content(
    session: AsyncSession,
    principal: Principal,
    api: API,
    document: Document,
    *,
    inline: str | None,
    file: tuple[str, bytes, str] | None,
) -> Document:
    if document.source_type in ("INLINE", "MARKDOWN"):
        if inline is None:
            raise BadRequest(f"A {document.source_type} document takes inlineContent")
        document.inline_content = inline
    elif document.source_type == "FILE":
        if file is None:
            raise BadRequest("A FILE document takes a file")
        name, content, media_type = file
        if len(content) > MAX_FILE_BYTES:
            raise BadRequest("A document file may hold at most 20 MiB")
        document.file_name, document.file_content, document.file_media_type = name, content, media_type
    else:
        raise BadRequest("A URL document has no content of its own; update its sourceUrl")
    document.updated_by, document.updated_at = principal.username, utcnow()
    await session.flush()
    await _announce(session, api, document, "document.updated")
    return document
