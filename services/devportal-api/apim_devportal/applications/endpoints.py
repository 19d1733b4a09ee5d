from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_common.internal_calls import call
from apim_common.pagination import PageDep, Pagination
from apim_common.security import Principal, require_scopes
from apim_devportal.applications import service, transfer, views
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationIn, ApplicationList, ApplicationPublic
from apim_devportal.deps import PREFIX, KeyManagerDep, SettingsDep

router = APIRouter(tags=["Applications"])

AppManager = Annotated[Principal, Depends(require_scopes("apim:subscribe", "apim:app_manage"))]
AppImportExport = Annotated[Principal, Depends(require_scopes("apim:app_import_export"))]
AppManagerOrExporter = Annotated[
    Principal, Depends(require_scopes("apim:subscribe", "apim:app_manage", "apim:app_import_export"))
]


@router.get("/applications")
async def list_applications(
    session: SessionDep,
    principal: AppManagerOrExporter,
    page: PageDep,
    groupId: str | None = None,
    query: str | None = None,
    sortBy: Annotated[Literal["name", "throttlingPolicy", "status"], Query()] = "name",
    sortOrder: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> ApplicationList:
    found = await service.listing(
        session, principal, query=query, group_id=groupId, sort_by=sortBy, descending=sortOrder == "desc"
    )
    chunk = found[page.offset : page.offset + page.limit]
    counts = await ApplicationRepository(session).subscription_counts(app.id for app in chunk)
    items = [views.info(app, counts.get(app.id, 0)) for app in chunk]
    return ApplicationList(
        count=len(items),
        list=items,
        pagination=Pagination(offset=page.offset, limit=page.limit, total=len(found)),
    )


@router.post("/applications", status_code=201, responses={202: {"description": "Waiting for approval"}})
async def create_application(
    body: ApplicationIn, session: SessionDep, principal: AppManager, settings: SettingsDep
) -> JSONResponse:
    app = await service.create(session, principal, body, settings.application_attributes)
    shown = (await views.public(session, app)).model_dump(mode="json")
    status = 202 if app.status == "CREATED" else 201
    return JSONResponse(shown, status_code=status, headers={"Location": f"{PREFIX}/applications/{app.id}"})


@router.get("/applications/export")
async def export_application(
    session: SessionDep,
    principal: AppImportExport,
    key_manager: KeyManagerDep,
    appName: Annotated[str, Query(min_length=1, max_length=100)],
    appOwner: Annotated[str | None, Query(max_length=255)] = None,
    withKeys: bool = False,
    format: Annotated[Literal["YAML", "JSON", "yaml", "json"], Query()] = "YAML",
) -> Response:
    """apimctl's application archive; with ``withKeys`` its OAuth keys and their secrets."""
    filename, archive = await transfer.export(
        session, principal, key_manager, name=appName, owner=appOwner, with_keys=withKeys, fmt=format
    )
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/applications/import", responses={207: {"description": "Some subscriptions were skipped"}})
async def import_application(
    request: Request,
    session: SessionDep,
    principal: AppImportExport,
    key_manager: KeyManagerDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    preserveOwner: bool = False,
    skipSubscriptions: bool = False,
    appOwner: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    skipApplicationKeys: bool = False,
    update: bool = False,
) -> JSONResponse:
    """An archive as ``/applications/export`` and apimctl write it, imported for the caller."""

    async def user_exists(username: str, tenant: str) -> str:
        base = f"{settings.key_manager_url.rstrip('/')}/api/am/keymanager/v1/internal/users"
        url = f"{base}/{quote(username, safe='')}"
        found = await call(request, "GET", url, f"User {username}", params={"tenant": tenant})
        return str(found["username"])

    exported = transfer.read_archive(await file.read(transfer.MAX_ARCHIVE_BYTES + 1))
    app, skipped = await transfer.import_application(
        session,
        principal,
        key_manager,
        str(settings.token_issuer),
        settings.application_attributes,
        user_exists,
        exported,
        preserve_owner=preserveOwner,
        app_owner=appOwner,
        skip_subscriptions=skipSubscriptions,
        skip_keys=skipApplicationKeys,
        update=update,
    )
    if skipped:
        return JSONResponse([s.model_dump() for s in skipped], status_code=207)
    counts = await ApplicationRepository(session).subscription_counts([app.id])
    return JSONResponse(views.info(app, counts.get(app.id, 0)).model_dump(mode="json"))


@router.get("/applications/{applicationId}")
async def get_application(
    applicationId: str, session: SessionDep, principal: AppManager
) -> ApplicationPublic:
    return await views.public(session, await service.visible(session, principal, applicationId))


@router.put("/applications/{applicationId}")
async def update_application(
    applicationId: str, body: ApplicationIn, session: SessionDep, principal: AppManager, settings: SettingsDep
) -> ApplicationPublic:
    app = await service.update(session, principal, applicationId, body, settings.application_attributes)
    return await views.public(session, app)


@router.delete("/applications/{applicationId}")
async def delete_application(
    applicationId: str, session: SessionDep, principal: AppManagerOrExporter, key_manager: KeyManagerDep
) -> Response:
    await service.delete(session, principal, applicationId, key_manager)
    return Response(status_code=200)
