"""``/api-products``: products and their versions, definition, documents, revisions and lifecycle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Header, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_common.downloads import attachment
from apim_common.errors import BadRequest, NotFound
from apim_common.pagination import Page, PageDep
from apim_publisher import scopes
from apim_publisher.apis import service as apis
from apim_publisher.apis import views
from apim_publisher.apis.endpoint_security import SecretsDep
from apim_publisher.apis.schemas import FileInfo
from apim_publisher.apis.search import search
from apim_publisher.common import check_if_match
from apim_publisher.documents import service as documents
from apim_publisher.documents.endpoints import content_response
from apim_publisher.documents.repository import DocumentRepository
from apim_publisher.documents.schemas import DocumentBody, DocumentList, DocumentPublic
from apim_publisher.importexport import service as importexport
from apim_publisher.importexport.endpoints import UserCheckDep
from apim_publisher.lifecycle import service as lifecycle
from apim_publisher.lifecycle.schemas import LifecycleHistory, LifecycleState, WorkflowResponse
from apim_publisher.products import service
from apim_publisher.products import views as product_views
from apim_publisher.products.schemas import APIProductBody
from apim_publisher.revisions import service as revisions
from apim_publisher.revisions.repository import DeploymentRepository
from apim_publisher.revisions.schemas import (
    APIRevision,
    APIRevisionDeployment,
    APIRevisionDeploymentList,
    APIRevisionList,
    DeploymentTarget,
    DeploymentUpdate,
    RevisionCreate,
)

PREFIX = "/api/am/publisher/v4"
router = APIRouter(tags=["API Products"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.get("/api-products")
async def list_products(
    request: Request,
    session: SessionDep,
    principal: scopes.ProductList,
    page: PageDep,
    query: str | None = None,
) -> Page[dict[str, Any]]:
    found = search(await service.of_caller(session, principal), query, "name")
    window = [product_views.info(p) for p in found[page.offset : page.offset + page.limit]]
    return Page[dict[str, Any]].of(
        window, total=len(found), limit=page.limit, offset=page.offset, path=request.url.path
    )


@router.post("/api-products", status_code=201)
async def create_product(
    body: APIProductBody, response: Response, session: SessionDep, principal: scopes.ProductWrite
) -> dict[str, Any]:
    product = await service.create(session, principal, body)
    response.headers["Location"] = f"{PREFIX}/api-products/{product.id}"
    response.headers["ETag"] = views.etag(product)
    return product_views.public(product)


@router.post("/api-products/copy-api-products", status_code=201)
async def copy_product(
    response: Response,
    session: SessionDep,
    principal: scopes.ProductWrite,
    apiProductId: Annotated[str, Query(min_length=1)],
    newVersion: Annotated[str, Query(min_length=1)],
    defaultVersion: bool = False,
) -> dict[str, Any]:
    source = await service.get(session, principal, apiProductId)
    product = await service.copy(session, principal, source, newVersion, defaultVersion)
    response.headers["Location"] = f"{PREFIX}/api-products/{product.id}"
    return product_views.public(product)


@router.post(
    "/api-products/change-lifecycle",
    response_model=WorkflowResponse,
    responses={202: {"model": WorkflowResponse}},
)
async def change_product_lifecycle(
    session: SessionDep,
    principal: scopes.ProductLifecycleChange,
    apiProductId: Annotated[str, Query(min_length=1)],
    action: Annotated[str, Query(min_length=1)],
    lifecycleChecklist: str | None = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    product = await service.get(session, principal, apiProductId)
    check_if_match(if_match, views.etag(product))
    status, body = await lifecycle.change(session, principal, product, action, lifecycleChecklist)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


@router.get("/api-products/export")
async def export_product(
    session: SessionDep,
    principal: scopes.ProductExport,
    name: Annotated[str, Query(min_length=1)],
    version: str | None = None,
    providerName: str | None = None,
    format: Annotated[str, Query(pattern="^(JSON|YAML|json|yaml)$")] = "YAML",
) -> Response:
    """An apictl-style project: the product, its definition, documents and deployments, in a zip."""
    candidates = [
        p
        for p in await service.of_caller(session, principal)
        if p.name == name
        and (version is None or p.version == version)
        and (providerName is None or p.provider == providerName)
    ]
    if not candidates:
        raise NotFound(f"No API Product '{name}' {version or ''}".strip(), message="API Product Not Found")
    product = candidates[-1]
    return Response(
        await importexport.export_product_archive(session, product, format),
        media_type="application/zip",
        headers=attachment(f"{product.name}-{product.version}.zip"),
    )


@router.post("/api-products/import")
async def import_product(
    session: SessionDep,
    principal: scopes.ProductImport,
    secrets: SecretsDep,
    user_exists: UserCheckDep,
    file: Annotated[UploadFile, File()],
    overwriteAPIProduct: bool = False,
    rotateRevision: bool = False,
    importAPIs: bool = False,
    overwriteAPIs: bool = False,
    preserveProvider: bool = True,
) -> dict[str, Any]:
    """A project as ``/api-products/export`` writes it; overwriteAPIProduct updates an existing version,
    importAPIs brings the member APIs' projects in first (overwriteAPIs updates those that exist),
    preserveProvider keeps the project's provider when it is a user of the caller's tenant."""
    if overwriteAPIs and not importAPIs:
        raise BadRequest("overwriteAPIs applies only with importAPIs=true", message="Invalid import options")

    archive = await file.read(importexport.MAX_ARCHIVE_BYTES + 1)
    product = await importexport.import_product_project(
        session,
        principal,
        archive,
        overwrite=overwriteAPIProduct,
        rotate_revision=rotateRevision,
        import_apis=importAPIs,
        overwrite_apis=overwriteAPIs,
        preserve_provider=preserveProvider,
        user_exists=user_exists,
        secrets=secrets,
    )
    return product_views.public(product)


@router.get("/api-products/{apiProductId}")
async def get_product(
    apiProductId: str, response: Response, session: SessionDep, principal: scopes.ProductRead
) -> dict[str, Any]:
    product = await service.get(session, principal, apiProductId)
    response.headers["ETag"] = views.etag(product)
    return product_views.public(product)


@router.put("/api-products/{apiProductId}")
async def update_product(
    apiProductId: str,
    body: APIProductBody,
    response: Response,
    session: SessionDep,
    principal: scopes.ProductWrite,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    product = await service.get(session, principal, apiProductId)
    check_if_match(if_match, views.etag(product))
    product = await service.update(session, principal, product, body)
    response.headers["ETag"] = views.etag(product)
    return product_views.public(product)


@router.delete("/api-products/{apiProductId}", status_code=200)
async def delete_product(apiProductId: str, session: SessionDep, principal: scopes.ProductDelete) -> Response:
    await revisions.delete_api(session, await service.get(session, principal, apiProductId))
    return Response(status_code=200)


@router.get("/api-products/{apiProductId}/thumbnail")
async def get_product_thumbnail(
    apiProductId: str, session: SessionDep, principal: scopes.ProductView
) -> Response:
    product = await service.get(session, principal, apiProductId)
    if product.thumbnail is None:
        raise NotFound(f"API Product '{apiProductId}' has no thumbnail", message="Thumbnail Not Found")
    return Response(product.thumbnail, media_type=product.thumbnail_media_type or "application/octet-stream")


@router.put("/api-products/{apiProductId}/thumbnail", response_model=FileInfo)
async def put_product_thumbnail(
    apiProductId: str,
    session: SessionDep,
    principal: scopes.ProductWrite,
    file: Annotated[UploadFile, File()],
) -> FileInfo:
    product = await service.get(session, principal, apiProductId)
    await apis.set_thumbnail(session, principal, product, await file.read(), file.content_type or "")
    return FileInfo(
        relativePath=f"api-products/{product.id}/thumbnail", mediaType=product.thumbnail_media_type or ""
    )


@router.get("/api-products/{apiProductId}/swagger")
async def product_swagger(
    apiProductId: str, session: SessionDep, principal: scopes.ProductView
) -> JSONResponse:
    product = await service.get(session, principal, apiProductId)
    return JSONResponse(product.definition or {})


@router.get("/api-products/{apiProductId}/is-outdated")
async def product_is_outdated(
    apiProductId: str, session: SessionDep, principal: scopes.ProductView
) -> dict[str, bool]:
    product = await service.get(session, principal, apiProductId)
    return {"isOutdated": await service.outdated(session, product)}


# Documents


@router.get("/api-products/{apiProductId}/documents", response_model=DocumentList)
async def list_product_documents(
    apiProductId: str, session: SessionDep, principal: scopes.ProductView, page: PageDep
) -> DocumentList:
    product = await service.get(session, principal, apiProductId)
    found = await DocumentRepository(session).of_api(product.id)
    window = [documents.public(d) for d in found[page.offset : page.offset + page.limit]]
    return DocumentList(
        count=len(window),
        list=window,
        pagination={"offset": page.offset, "limit": page.limit, "total": len(found)},
    )


@router.post("/api-products/{apiProductId}/documents", status_code=201, response_model=DocumentPublic)
async def create_product_document(
    apiProductId: str, body: DocumentBody, session: SessionDep, principal: scopes.ProductWrite
) -> DocumentPublic:
    product = await service.get(session, principal, apiProductId)
    return documents.public(await documents.create(session, principal, product, body))


@router.get("/api-products/{apiProductId}/documents/{documentId}", response_model=DocumentPublic)
async def get_product_document(
    apiProductId: str, documentId: str, session: SessionDep, principal: scopes.ProductView
) -> DocumentPublic:
    product = await service.get(session, principal, apiProductId)
    return documents.public(await documents.get(session, product, documentId))


@router.put("/api-products/{apiProductId}/documents/{documentId}", response_model=DocumentPublic)
async def update_product_document(
    apiProductId: str,
    documentId: str,
    body: DocumentBody,
    session: SessionDep,
    principal: scopes.ProductWrite,
) -> DocumentPublic:
    product = await service.get(session, principal, apiProductId)
    document = await documents.get(session, product, documentId)
    return documents.public(await documents.update(session, principal, product, document, body))


@router.delete("/api-products/{apiProductId}/documents/{documentId}", status_code=200)
async def delete_product_document(
    apiProductId: str, documentId: str, session: SessionDep, principal: scopes.ProductWrite
) -> Response:
    product = await service.get(session, principal, apiProductId)
    await documents.delete(session, product, await documents.get(session, product, documentId))
    return Response(status_code=200)


@router.get("/api-products/{apiProductId}/documents/{documentId}/content")
async def get_product_document_content(
    apiProductId: str, documentId: str, session: SessionDep, principal: scopes.ProductView
) -> Response:
    product = await service.get(session, principal, apiProductId)
    return content_response(await documents.get(session, product, documentId))


@router.post("/api-products/{apiProductId}/documents/{documentId}/content", response_model=DocumentPublic)
async def add_product_document_content(
    apiProductId: str,
    documentId: str,
    session: SessionDep,
    principal: scopes.ProductWrite,
    file: Annotated[UploadFile | None, File()] = None,
    inlineContent: Annotated[str | None, Form()] = None,
) -> DocumentPublic:
    product = await service.get(session, principal, apiProductId)
    document = await documents.get(session, product, documentId)
    upload = None
    if file is not None:
        upload = (
            file.filename or "document",
            await file.read(),
            file.content_type or "application/octet-stream",
        )
    document = await documents.set_content(
        session, principal, product, document, inline=inlineContent, file=upload
    )
    return documents.public(document)


# Revisions and deployments


@router.get("/api-products/{apiProductId}/revisions", response_model=APIRevisionList)
async def list_product_revisions(
    apiProductId: str, session: SessionDep, principal: scopes.ProductRevisionList, query: str | None = None
) -> APIRevisionList:
    product = await service.get(session, principal, apiProductId)
    deployed = None if not query else query.partition(":")[2].strip().lower() == "true"
    items = await revisions.listing(session, product, deployed)
    return APIRevisionList(count=len(items), list=items)


@router.post("/api-products/{apiProductId}/revisions", status_code=201, response_model=APIRevision)
async def create_product_revision(
    apiProductId: str,
    session: SessionDep,
    principal: scopes.ProductRevisionWrite,
    body: RevisionCreate | None = None,
) -> APIRevision:
    product = await service.get(session, principal, apiProductId)
    return revisions.public(
        await revisions.create(session, principal, product, body.description if body else None)
    )


@router.get("/api-products/{apiProductId}/revisions/{revisionId}", response_model=APIRevision)
async def get_product_revision(
    apiProductId: str, revisionId: str, session: SessionDep, principal: scopes.ProductRevisionRead
) -> APIRevision:
    product = await service.get(session, principal, apiProductId)
    revision = await revisions.get(session, product, revisionId)
    return revisions.public(revision, await DeploymentRepository(session).of_revision(revision.id))


@router.delete("/api-products/{apiProductId}/revisions/{revisionId}", response_model=APIRevisionList)
async def delete_product_revision(
    apiProductId: str, revisionId: str, session: SessionDep, principal: scopes.ProductRevisionWrite
) -> APIRevisionList:
    product = await service.get(session, principal, apiProductId)
    await revisions.delete(session, product, await revisions.get(session, product, revisionId))
    items = await revisions.listing(session, product, None)
    return APIRevisionList(count=len(items), list=items)


@router.get("/api-products/{apiProductId}/deployments", response_model=APIRevisionDeploymentList)
async def list_product_deployments(
    apiProductId: str, session: SessionDep, principal: scopes.ProductRevisionRead
) -> APIRevisionDeploymentList:
    product = await service.get(session, principal, apiProductId)
    items = [revisions.public_deployment(d) for d in await DeploymentRepository(session).of_api(product.id)]
    return APIRevisionDeploymentList(count=len(items), list=items)


@router.put("/api-products/{apiProductId}/deployments/{deploymentId}", response_model=APIRevisionDeployment)
async def update_product_deployment(
    apiProductId: str,
    deploymentId: str,
    body: DeploymentUpdate,
    session: SessionDep,
    principal: scopes.ProductRevisionWrite,
) -> APIRevisionDeployment:
    product = await service.get(session, principal, apiProductId)
    deployment = await revisions.update_deployment(session, product, deploymentId, body.displayOnDevportal)
    return revisions.public_deployment(deployment)


@router.post(
    "/api-products/{apiProductId}/deploy-revision",
    status_code=201,
    response_model=list[APIRevisionDeployment],
)
async def deploy_product_revision(
    apiProductId: str,
    session: SessionDep,
    principal: scopes.ProductRevisionWrite,
    body: Annotated[list[DeploymentTarget], Body()],
    revisionId: str | None = None,
) -> list[APIRevisionDeployment]:
    product = await service.get(session, principal, apiProductId)
    revision = await revisions.get(session, product, revisionId)
    return [
        revisions.public_deployment(d)
        for d in await revisions.deploy(session, principal, product, revision, body)
    ]


@router.post(
    "/api-products/{apiProductId}/undeploy-revision",
    status_code=201,
    response_model=list[APIRevisionDeployment],
)
async def undeploy_product_revision(
    apiProductId: str,
    session: SessionDep,
    principal: scopes.ProductUndeploy,
    body: Annotated[list[DeploymentTarget] | None, Body()] = None,
    revisionId: str | None = None,
    allEnvironments: bool = False,
) -> list[APIRevisionDeployment]:
    product = await service.get(session, principal, apiProductId)
    revision = await revisions.get(session, product, revisionId)
    await revisions.undeploy(session, product, revision, body or [], allEnvironments)
    return [revisions.public_deployment(d) for d in await DeploymentRepository(session).of_api(product.id)]


@router.post("/api-products/{apiProductId}/restore-revision", status_code=201)
async def restore_product_revision(
    apiProductId: str,
    session: SessionDep,
    principal: scopes.ProductRevisionWrite,
    revisionId: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    product = await service.get(session, principal, apiProductId)
    revision = await revisions.get(session, product, revisionId)
    return product_views.public(await revisions.restore(session, principal, product, revision))


# Lifecycle


@router.get("/api-products/{apiProductId}/lifecycle-state", response_model=LifecycleState)
async def product_lifecycle_state(
    apiProductId: str, session: SessionDep, principal: scopes.ProductLifecycleState
) -> LifecycleState:
    return lifecycle.state_of(await service.get(session, principal, apiProductId))


@router.get("/api-products/{apiProductId}/lifecycle-history", response_model=LifecycleHistory)
async def product_lifecycle_history(
    apiProductId: str, session: SessionDep, principal: scopes.PendingTasks
) -> LifecycleHistory:
    return await lifecycle.history(session, await service.get(session, principal, apiProductId))


@router.delete("/api-products/{apiProductId}/lifecycle-state/pending-tasks", status_code=200)
async def cancel_product_pending_lifecycle(
    apiProductId: str, session: SessionDep, principal: scopes.PendingTasks
) -> Response:
    await lifecycle.cancel_pending(session, await service.get(session, principal, apiProductId))
    return Response(status_code=200)
