"""``/apis/{apiId}/documents``: metadata, and content (inline text, markdown, file or a URL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import RedirectResponse

from apim_common.db import SessionDep
from apim_common.errors import NotFound
from apim_common.pagination import PageDep
from apim_common.security import InternalPrincipal
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.documents import service
from apim_publisher.documents.models import Document
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.documents.schemas import DocumentBody, DocumentList, DocumentPublic

router = APIRouter(tags=["API Documents"])
internal_router = APIRouter(prefix="/internal", tags=["Internal"])


def content_response(document: Document) -> Response:
    """A document's content as WSO2 answers it: a redirect for URL documents, the file, or the text."""
    if document.source_type == "URL" and document.source_url:
        return RedirectResponse(document.source_url, status_code=303)
    if document.source_type == "FILE":
        if document.file_content is None:
            raise NotFound("The document has no file yet", message="Document content not found")
        return Response(
            document.file_content,
            media_type=document.file_media_type or "application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{document.file_name or "document"}"'},
        )
    if document.inline_content is None:
        raise NotFound("The document has no content yet", message="Document content not found")
    media_type = "text/markdown" if document.source_type == "MARKDOWN" else "text/plain"
    return Response(document.inline_content, media_type=f"{media_type}; charset=utf-8")


@router.get("/apis/{apiId}/documents", response_model=DocumentList)
async def list_documents(
    apiId: str, session: SessionDep, principal: scopes.DocumentRead, page: PageDep
) -> DocumentList:
    api = await apis.get(session, principal, apiId)
    documents = await DocumentRepository(session).of_api(api.id)
    window = [service.public(d) for d in documents[page.offset : page.offset + page.limit]]
    return DocumentList(
        count=len(window),
        list=window,
        pagination={"offset": page.offset, "limit": page.limit, "total": len(documents)},
    )


@router.post("/apis/{apiId}/documents", status_code=201, response_model=DocumentPublic)
async def create_document(
    apiId: str, body: DocumentBody, response: Response, session: SessionDep, principal: scopes.DocumentCreate
) -> DocumentPublic:
    api = await apis.get(session, principal, apiId)
    document = await service.create(session, principal, api, body)
    response.headers["Location"] = f"/api/am/publisher/v4/apis/{api.id}/documents/{document.id}"
    return service.public(document)


@router.get("/apis/{apiId}/documents/{documentId}", response_model=DocumentPublic)
async def get_document(
    apiId: str, documentId: str, session: SessionDep, principal: scopes.DocumentRead
) -> DocumentPublic:
    api = await apis.get(session, principal, apiId)
    return service.public(await service.get(session, api, documentId))


@router.put("/apis/{apiId}/documents/{documentId}", response_model=DocumentPublic)
async def update_document(
    apiId: str, documentId: str, body: DocumentBody, session: SessionDep, principal: scopes.DocumentEdit
) -> DocumentPublic:
    api = await apis.get(session, principal, apiId)
    document = await service.get(session, api, documentId)
    return service.public(await service.update(session, principal, api, document, body))


@router.delete("/apis/{apiId}/documents/{documentId}", status_code=200)
async def delete_document(
    apiId: str, documentId: str, session: SessionDep, principal: scopes.DocumentEdit
) -> Response:
    api = await apis.get(session, principal, apiId)
    await service.delete(session, api, await service.get(session, api, documentId))
    return Response(status_code=200)


@router.get("/apis/{apiId}/documents/{documentId}/content")
async def get_document_content(
    apiId: str, documentId: str, session: SessionDep, principal: scopes.DocumentRead
) -> Response:
    api = await apis.get(session, principal, apiId)
    return content_response(await service.get(session, api, documentId))


@router.post("/apis/{apiId}/documents/{documentId}/content", response_model=DocumentPublic)
async def add_document_content(
    apiId: str,
    documentId: str,
    session: SessionDep,
    principal: scopes.DocumentCreate,
    file: Annotated[UploadFile | None, File()] = None,
    inlineContent: Annotated[str | None, Form()] = None,
) -> DocumentPublic:
    api = await apis.get(session, principal, apiId)
    document = await service.get(session, api, documentId)
    upload = None
    if file is not None:
        upload = (
            file.filename or "document",
            await file.read(),
            file.content_type or "application/octet-stream",
        )
    document = await service.set_content(session, principal, api, document, inline=inlineContent, file=upload)
    return service.public(document)


@internal_router.get("/apis/{apiId}/documents/{documentId}/file")
async def get_document_file(
    apiId: str, documentId: str, session: SessionDep, _: InternalPrincipal
) -> Response:
    """A FILE document's bytes for the Developer Portal, which has checked that its caller may see
    the document: files are too large for the document events, so it fetches them here."""
    document = await DocumentRepository(session).in_api(apiId, documentId)
    if document is None or document.source_type != "FILE":
        raise NotFound(f"Document {documentId} is not a file document of API {apiId}")
    return content_response(document)
