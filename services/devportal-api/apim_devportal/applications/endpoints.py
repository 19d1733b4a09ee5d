from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from apim_common.db import SessionDep
from apim_common.pagination import PageDep, Pagination
from apim_common.security import Principal, require_scopes
from apim_devportal.applications import service, views
from apim_devportal.applications.repository import ApplicationRepository
from apim_devportal.applications.schemas import ApplicationIn, ApplicationList, ApplicationPublic
from apim_devportal.deps import PREFIX, KeyManagerDep, SettingsDep

router = APIRouter(tags=["Applications"])

AppManager = Annotated[Principal, Depends(require_scopes("apim:subscribe", "apim:app_manage"))]
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
